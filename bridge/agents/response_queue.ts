/**
 * `response.create`, one at a time: at most one create in flight, none while
 * a response is active (ours or one the server's VAD started), queued until
 * the active response's `response.done`, and re-queued at the front if the
 * service still answers `conversation_already_has_active_response`.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { RealtimeResponse, ResponseParams, ServerError } from "../../lib/realtime/events.ts";

/** Why the agent asked for a response; sent as `metadata.purpose` and echoed back. */
export type ResponsePurpose = "greeting" | "goodbye" | "tool" | "dtmf";

/** Dependencies of {@linkcode ResponseQueue}. */
export interface ResponseQueueOptions {
  /** Sends `response.create`; returns its `event_id`, or null when the socket is not open. */
  send(params: ResponseParams): string | null;
  /** Whether the session can take a response now. */
  ready(): boolean;
  logger: Logger;
}

/** The serialised `response.create` of one Realtime session. */
export class ResponseQueue {
  readonly #o: ResponseQueueOptions;
  #active: string | null = null;
  #inFlight: { eventId: string; params: ResponseParams } | null = null;
  #queue: ResponseParams[] = [];

  /** An empty queue. */
  constructor(options: ResponseQueueOptions) {
    this.#o = options;
  }

  /** The id of the response being generated, if any. */
  get active(): string | null {
    return this.#active;
  }

  /** Asks for a response; `instructions` override the session's for this one. */
  request(purpose: ResponsePurpose, instructions?: string): void {
    const params: ResponseParams = { metadata: { purpose } };
    if (instructions !== undefined) params.instructions = instructions;
    this.#queue.push(params);
    this.pump();
  }

  /** Whether a request for `purpose` is waiting (not yet sent). */
  has(purpose: ResponsePurpose): boolean {
    return this.#queue.some((p) => p.metadata?.purpose === purpose);
  }

  /** Sends the next request if the session is ready and nothing is in flight or active. */
  pump(): void {
    if (!this.#o.ready() || this.#active || this.#inFlight) return;
    const params = this.#queue.shift();
    if (!params) return;
    const eventId = this.#o.send(params);
    if (eventId) this.#inFlight = { eventId, params };
  }

  /** `response.created`: it is active; if it is ours, our create landed. */
  created(response: RealtimeResponse): void {
    this.#active = response.id;
    const purpose = response.metadata?.purpose;
    if (purpose !== undefined && purpose === this.#inFlight?.params.metadata?.purpose) {
      this.#inFlight = null;
    }
  }

  /** `response.done`: the next request may go. */
  done(responseId: string): void {
    if (this.#active === responseId) this.#active = null;
    this.pump();
  }

  /**
   * An `error` event: when it refuses our in-flight create because a response
   * is active, the create goes back to the front of the queue until that
   * response is done. Returns whether the error was that refusal.
   */
  refused(err: ServerError): boolean {
    const create = this.#inFlight;
    if (
      err.code !== "conversation_already_has_active_response" || !create ||
      err.event_id !== create.eventId
    ) return false;
    this.#inFlight = null;
    this.#queue.unshift(create.params);
    this.#o.logger.info("OPENAI_RESPONSE_QUEUED", { purpose: create.params.metadata?.purpose });
    return true;
  }

  /** The session dropped: nothing is active and nothing waits. */
  reset(): void {
    this.#active = null;
    this.#inFlight = null;
    this.#queue = [];
  }
}
