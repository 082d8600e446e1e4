/**
 * `response.create`, one at a time, and never silently lost.
 *
 * - At most one create in flight, none while a response is active (ours or one
 *   the server's VAD started): requests queue until the active response's
 *   `response.done`, and go back to the front of the queue when the service
 *   still answers `conversation_already_has_active_response`.
 * - A request fails when the service answers its create with any other
 *   `error`, when its response ends `failed` (e.g. rate limited: "When
 *   Realtime API hits a rate limit … the model [is] simply … unresponsive",
 *   livekit/agents#2967) or speaks no audio, or when nothing answers the
 *   create in time. A failed request is retried after a growing wait (or the
 *   wait the service asks for); a failed response the server's VAD started
 *   is retried as a `reply`. After `maxAttempts` tries the owner is told, so
 *   the call ends instead of leaving the caller in silence.
 * - A dropped socket keeps the queue: the request in flight goes back to its
 *   front, to be sent on the new session.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { RealtimeResponse, ServerError } from "../../lib/realtime/server_events.ts";
import type { ResponseParams } from "../../lib/realtime/session.ts";
import { type TimerId, type Timers, TimerSet } from "./timers.ts";

/** Why a response was asked for; sent as `metadata.purpose` and echoed back. */
export type ResponsePurpose = "greeting" | "goodbye" | "tool" | "dtmf" | "reply";

/** A request that failed on every try. */
export interface ResponseFailure {
  purpose: ResponsePurpose;
  attempts: number;
  /** The last failure, e.g. `failed: rate_limit_exceeded`, `error: server_error`. */
  reason: string;
}

/** Dependencies of {@linkcode ResponseQueue}. */
export interface ResponseQueueOptions {
  /** Sends `response.create`; returns its `event_id`, or null when the socket is not open. */
  send(params: ResponseParams): string | null;
  /** Whether the session can take a response now. */
  ready(): boolean;
  timers: Timers;
  /** Tries per request before {@linkcode ResponseQueueOptions.onGiveUp}. */
  maxAttempts: number;
  /** Wait before the first retry; doubles with each. */
  retryMs: number;
  /** A create with neither `response.created` nor an `error` this long after it has failed. */
  createTimeoutMs: number;
  /** A request failed `maxAttempts` times: the caller would hear nothing. */
  onGiveUp(failure: ResponseFailure): void;
  logger: Logger;
}

interface Request {
  purpose: ResponsePurpose;
  params: ResponseParams;
  /** Tries that failed so far. */
  failures: number;
}

function newRequest(purpose: ResponsePurpose, instructions?: string): Request {
  // One modality, audio: "It is not possible to request both `text` and `audio`".
  const params: ResponseParams = { output_modalities: ["audio"], metadata: { purpose } };
  if (instructions !== undefined) params.instructions = instructions;
  return { purpose, params, failures: 0 };
}

/** The longest wait a failure's "try again in" may impose. */
const MAX_RETRY_MS = 10_000;

/**
 * The wait a rate-limit message asks for ("Please try again in 6.946s" or
 * "in 10ms", as third parties quote it), or null.
 */
export function retryAfterMs(message: string | null | undefined): number | null {
  const m = /try again in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(message ?? "");
  if (!m) return null;
  return Math.ceil(Number(m[1]) * (m[2]!.toLowerCase() === "s" ? 1000 : 1));
}

/** The serialised `response.create` of one Realtime session. */
export class ResponseQueue {
  readonly #o: ResponseQueueOptions;
  readonly #timers: TimerSet;
  #active: { id: string; request: Request | null } | null = null;
  #inFlight: { eventId: string; request: Request; timer: TimerId } | null = null;
  #queue: Request[] = [];
  /** Failed requests waiting for their retry. */
  #waiting = new Set<Request>();

  /** An empty queue. */
  constructor(options: ResponseQueueOptions) {
    this.#o = options;
    this.#timers = new TimerSet(options.timers);
  }

  /** The id of the response being generated, if any. */
  get active(): string | null {
    return this.#active?.id ?? null;
  }

  /** Asks for a response; `instructions` override the session's for this one. */
  request(purpose: ResponsePurpose, instructions?: string): void {
    this.#queue.push(newRequest(purpose, instructions));
    this.pump();
  }

  /** Whether a request for `purpose` waits to be sent (queued or before a retry). */
  has(purpose: ResponsePurpose): boolean {
    return [...this.#queue, ...this.#waiting].some((r) => r.purpose === purpose);
  }

  /** Sends the next request if the session is ready and nothing is in flight or active. */
  pump(): void {
    if (!this.#o.ready() || this.#active || this.#inFlight) return;
    const request = this.#queue.shift();
    if (!request) return;
    const eventId = this.#o.send(request.params);
    if (!eventId) {
      this.#queue.unshift(request);
      return;
    }
    const timer = this.#timers.after(this.#o.createTimeoutMs, () => {
      if (this.#inFlight?.eventId !== eventId) return;
      this.#inFlight = null;
      this.#failed(request, `no response.created within ${this.#o.createTimeoutMs} ms`, null);
      this.pump();
    });
    this.#inFlight = { eventId, request, timer };
  }

  /** `response.created`: it is active; if it is ours, our create landed. */
  created(response: RealtimeResponse): void {
    const inFlight = this.#inFlight;
    const ours = inFlight !== null && response.metadata?.purpose === inFlight.request.purpose;
    if (ours) {
      this.#timers.cancel(inFlight.timer);
      this.#inFlight = null;
    }
    this.#active = { id: response.id, request: ours ? inFlight.request : null };
  }

  /**
   * `response.done`; `failure` says why it was not heard (its status was
   * `failed`, or it spoke no audio), else it was. The next request may go.
   */
  done(response: RealtimeResponse, failure?: string): void {
    const active = this.#active?.id === response.id ? this.#active : null;
    if (active) this.#active = null;
    if (failure !== undefined) {
      const retryHint = retryAfterMs(response.status_details?.error?.message);
      this.#failed(active?.request ?? newRequest("reply"), failure, retryHint);
    }
    this.pump();
  }

  /**
   * An `error` event: when it answers our in-flight create, the create failed;
   * refused because a response is active, it goes back to the front of the
   * queue until that response is done. Returns whether it was about our create.
   */
  refused(err: ServerError): boolean {
    const inFlight = this.#inFlight;
    if (!inFlight || err.event_id !== inFlight.eventId) return false;
    this.#timers.cancel(inFlight.timer);
    this.#inFlight = null;
    if (err.code === "conversation_already_has_active_response") {
      this.#queue.unshift(inFlight.request);
      this.#o.logger.info("OPENAI_RESPONSE_QUEUED", { purpose: inFlight.request.purpose });
      return true;
    }
    this.#failed(inFlight.request, `error: ${err.code ?? err.type}`, retryAfterMs(err.message));
    this.pump();
    return true;
  }

  /** The session dropped: nothing is active, and the create in flight is sent again later. */
  dropped(): void {
    this.#active = null;
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    this.#timers.cancel(inFlight.timer);
    this.#inFlight = null;
    this.#queue.unshift(inFlight.request);
  }

  /** The call is over: no retry is left pending. */
  close(): void {
    this.#timers.clear();
    this.#waiting.clear();
    this.#queue = [];
  }

  #failed(request: Request, reason: string, retryHintMs: number | null): void {
    request.failures++;
    const { maxAttempts, retryMs, logger } = this.#o;
    const attempts = request.failures;
    if (attempts >= maxAttempts) {
      logger.error("OPENAI_RESPONSE_GAVE_UP", { purpose: request.purpose, attempts, reason });
      return this.#o.onGiveUp({ purpose: request.purpose, attempts, reason });
    }
    const backoff = retryMs * 2 ** (attempts - 1);
    const waitMs = Math.min(MAX_RETRY_MS, Math.max(backoff, retryHintMs ?? 0));
    logger.warn("OPENAI_RESPONSE_RETRY", { purpose: request.purpose, attempts, reason, waitMs });
    this.#waiting.add(request);
    this.#timers.after(waitMs, () => {
      this.#waiting.delete(request);
      this.#queue.unshift(request);
      this.pump();
    });
  }
}
