/**
 * One client socket of the fake Realtime service: its session, conversation,
 * turn detection and responses.
 *
 * Behaviour the bridge must survive, as the service shows it:
 * - Every client event is checked against the GA schema; an invalid one gets
 *   an `invalid_request_error` and the session stays open. The beta shape
 *   closes the socket with 4000.
 * - One response at a time (`conversation_already_has_active_response`);
 *   `interrupt_response` cancels the active one at speech start, after which
 *   a client `response.cancel` gets `response_cancel_not_active`.
 * - Once the client has created an assistant message with text content (a
 *   replayed history), every later response is text only, no audio: "The
 *   API/model forgets that it can do audio" (pipecat's adapter; also
 *   openai/openai-realtime-api-beta#72). OpenAI has not confirmed this for GA.
 * - The session closes with 1001 at its maximum duration (60 minutes; 3RD:
 *   pollen-robotics/reachy_mini_conversation_app#134).
 *
 * @module
 */
import { betaSessionShape, type ClientEvent, parseClientEvent } from "../../lib/realtime/events.ts";
import type { ResponseParams, SessionConfig } from "../../lib/realtime/session.ts";
import { base64ToInt16, PcmDecodeError } from "../../lib/audio/pcm.ts";
import {
  type FakeError,
  type FakeResponse,
  type Outgoing,
  type RateLimit,
  ResponseStream,
  type StreamHost,
} from "./openai_realtime_response.ts";
import { FakeConversation, notFound, transcriptionUsage } from "./openai_realtime_conversation.ts";
import { FakeVad, type VadEvent } from "./openai_realtime_vad.ts";

/** The message the service sends before closing a beta-shaped socket. */
export const BETA_DISABLED_MESSAGE =
  "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.";

/** The close reason at the session's maximum duration (code 1001). */
export const SESSION_EXPIRED_REASON = "Your session hit the maximum duration of 60 minutes.";

const RATE = 24;

/** A frame the fake received or sent, with its connection number (1-based). */
export interface RecordedEvent {
  connection: number;
  type: string;
  event: Record<string, unknown>;
}

/** What a connection needs from the server it belongs to. */
export interface FakeHost {
  readonly speed: number;
  readonly chunkMs: number;
  readonly lateDeltas: number;
  readonly thinkMs: number;
  record(list: "received" | "sent", r: RecordedEvent): void;
  id(prefix: string): string;
  nextTranscript(): string;
  nextResponse(): FakeResponse;
  /** Charges `tokens` to the organisation's per-minute budget: what to report and, when over it, the failure. */
  spend(model: string, tokens: number): { limits: RateLimit[]; error: FakeError | null };
}

/** One client socket and its session state. */
export class Connection {
  #session: SessionConfig;
  #closed = false;
  #conversation = new FakeConversation();
  #active: ResponseStream | null = null;
  #vad = new FakeVad();
  #uncommittedMs = 0;
  #speech: { itemId: string; startMs: number } | null = null;
  #textOnly = false;
  #expiry: ReturnType<typeof setTimeout> | undefined;

  /** Serves `ws` as connection number `n`; the session closes after `maxSessionMs`. */
  constructor(
    readonly host: FakeHost,
    readonly ws: WebSocket,
    readonly n: number,
    model: string,
    maxSessionMs: number,
  ) {
    this.#session = {
      type: "realtime",
      model,
      instructions: "",
      output_modalities: ["audio"],
      audio: {
        input: {
          format: { type: "audio/pcm", rate: 24000 },
          transcription: null,
          turn_detection: {
            type: "server_vad",
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: "audio/pcm", rate: 24000 }, voice: "alloy", speed: 1 },
      },
      tools: [],
    };
    ws.addEventListener("message", (e) => this.#onMessage(e.data));
    ws.addEventListener("close", () => this.#stop());
    this.#expiry = setTimeout(() => this.close(1001, SESSION_EXPIRED_REASON), maxSessionMs);
  }

  /** `session.created`, the first event of every session. */
  greet(): void {
    this.#send({ type: "session.created", session: this.#sessionOut() });
  }

  /** The retired beta shape: an error, then close 4000. */
  rejectBeta(): void {
    this.#error({
      type: "invalid_request_error",
      code: "beta_api_shape_disabled",
      message: BETA_DISABLED_MESSAGE,
    }, null);
    this.close(4000, BETA_DISABLED_MESSAGE);
  }

  /**
   * Refuses the session after the handshake, as the service does for a bad
   * key or model: an `error` event, then close 3000 with reason
   * `<type>.<code>` (the close a Twilio sample logged for a bad key:
   * "received 3000 (registered) invalid_request_error.invalid_api_key").
   */
  refuse(error: FakeError): void {
    this.#error(error, null);
    this.close(3000, `${error.type}.${error.code}`);
  }

  /** Closes from the server side. */
  close(code: number, reason: string): void {
    this.#stop();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  #stop(): void {
    this.#closed = true;
    clearTimeout(this.#expiry);
    this.#active?.stop();
    this.#active = null;
  }

  #send(event: Outgoing): void {
    this.#sendRaw(event);
  }

  #sendRaw(event: { type: string; [k: string]: unknown }): void {
    if (this.#closed || this.ws.readyState !== WebSocket.OPEN) return;
    const e = { event_id: this.host.id("event"), ...event };
    this.host.record("sent", { connection: this.n, type: e.type, event: e });
    this.ws.send(JSON.stringify(e));
  }

  #error(error: FakeError & { param?: string | null }, clientEventId: string | null): void {
    this.#send({ type: "error", error: { param: null, ...error, event_id: clientEventId } });
  }

  #invalid(code: string, message: string, param: string | null, eid: string | null): void {
    this.#error({ type: "invalid_request_error", code, message, param }, eid);
  }

  #sessionOut(): Record<string, unknown> {
    return { ...this.#session, object: "realtime.session", id: `sess_${this.n}` };
  }

  #onMessage(data: unknown): void {
    if (typeof data !== "string") {
      return this.#invalid("invalid_value", "Binary frames are not supported", null, null);
    }
    let raw: Record<string, unknown> = {};
    try {
      const v: unknown = JSON.parse(data);
      if (typeof v === "object" && v !== null) raw = v as Record<string, unknown>;
    } catch { /* recorded as an empty event; parseClientEvent reports it */ }
    this.host.record("received", { connection: this.n, type: String(raw.type), event: raw });
    if (betaSessionShape(raw) !== null) return this.rejectBeta();
    const parsed = parseClientEvent(data);
    if (!parsed.ok) {
      const { code, message, param, event_id } = parsed.error;
      return this.#invalid(code, message, param, event_id);
    }
    this.#dispatch(parsed.event);
  }

  #dispatch(e: ClientEvent): void {
    const eid = e.event_id ?? null;
    switch (e.type) {
      case "session.update":
        return this.#update(e.session);
      case "input_audio_buffer.append": {
        const pcm = base64ToInt16(e.audio);
        if (pcm instanceof PcmDecodeError) {
          return this.#invalid("invalid_value", `Invalid 'audio': ${pcm.message}`, "audio", eid);
        }
        return this.#append(pcm);
      }
      case "input_audio_buffer.commit": {
        const ms = this.#uncommittedMs;
        if (ms < 100) {
          return this.#invalid(
            "input_audio_buffer_commit_empty",
            `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${
              ms.toFixed(2)
            }ms of audio.`,
            null,
            eid,
          );
        }
        return this.#commit(this.host.id("item"), ms, false, true);
      }
      case "input_audio_buffer.clear":
        this.#uncommittedMs = 0;
        this.#speech = null;
        this.#vad.clear();
        return this.#send({ type: "input_audio_buffer.cleared" });
      case "conversation.item.create":
        return this.#createItem(e.item);
      case "conversation.item.truncate":
        return this.#truncate(e.item_id, e.audio_end_ms, eid);
      case "conversation.item.delete":
        if (!this.#conversation.delete(e.item_id)) return this.#error(notFound(e.item_id), eid);
        return this.#send({ type: "conversation.item.deleted", item_id: e.item_id });
      case "conversation.item.retrieve": {
        const item = this.#conversation.get(e.item_id);
        if (!item) return this.#error(notFound(e.item_id), eid);
        return this.#send({
          type: "conversation.item.retrieved",
          item: { id: e.item_id, type: item.type, role: item.role },
        });
      }
      case "response.create":
        if (this.#active) {
          return this.#invalid(
            "conversation_already_has_active_response",
            `Conversation already has an active response in progress: ${this.#active.id}. Wait until the response is finished before creating a new one.`,
            null,
            eid,
          );
        }
        return this.#respond(e.response, eid);
      case "response.cancel":
        if (!this.#active || (e.response_id !== undefined && e.response_id !== this.#active.id)) {
          return this.#invalid(
            "response_cancel_not_active",
            "Cancellation failed: no active response found",
            null,
            eid,
          );
        }
        return this.#active.cancel("client_cancelled");
      case "output_audio_buffer.clear":
        // Assumption: the service only honours this on WebRTC/SIP legs.
        return this.#invalid(
          "invalid_value",
          "output_audio_buffer.clear is only supported for WebRTC and SIP connections",
          null,
          eid,
        );
    }
  }

  #update(s: SessionConfig): void {
    this.#session = {
      ...this.#session,
      ...s,
      audio: {
        input: { ...this.#session.audio?.input, ...s.audio?.input },
        output: { ...this.#session.audio?.output, ...s.audio?.output },
      },
    };
    this.#send({ type: "session.updated", session: this.#sessionOut() });
  }

  #createItem(item: Extract<ClientEvent, { type: "conversation.item.create" }>["item"]): void {
    const id = item.id ?? this.host.id("item");
    const role = item.type === "message" ? item.role : "";
    const chars = JSON.stringify(item).length;
    if (item.type === "message" && item.role === "assistant") this.#textOnly = true;
    const previous_item_id = this.#conversation.add(id, {
      role,
      type: item.type,
      audioMs: 0,
      chars,
    });
    const out = { ...item, id, object: "realtime.item", status: "completed" };
    this.#send({ type: "conversation.item.added", item: out, previous_item_id });
    this.#send({ type: "conversation.item.done", item: out, previous_item_id });
  }

  #truncate(itemId: string, endMs: number, eid: string | null): void {
    const refused = this.#conversation.truncate(itemId, endMs);
    if (refused) return this.#error(refused, eid);
    this.#send({
      type: "conversation.item.truncated",
      item_id: itemId,
      content_index: 0,
      audio_end_ms: endMs,
    });
  }

  #append(pcm: Int16Array): void {
    this.#uncommittedMs += pcm.length / RATE;
    const td = this.#session.audio?.input?.turn_detection ?? null;
    if (td === null) return;
    for (const event of this.#vad.append(pcm, td)) {
      this.#onVad(event, td.create_response !== false, td.interrupt_response !== false);
    }
  }

  #onVad(event: VadEvent, createResponse: boolean, interrupt: boolean): void {
    if (event.kind === "speech_started") {
      const itemId = this.host.id("item");
      this.#speech = { itemId, startMs: event.audioStartMs };
      this.#send({
        type: "input_audio_buffer.speech_started",
        audio_start_ms: event.audioStartMs,
        item_id: itemId,
      });
      if (interrupt) this.#active?.cancel("turn_detected");
      return;
    }
    if (event.kind === "speech_stopped") {
      const speech = this.#speech;
      if (!speech) return;
      this.#speech = null;
      this.#send({
        type: "input_audio_buffer.speech_stopped",
        audio_end_ms: event.audioEndMs,
        item_id: speech.itemId,
      });
      return this.#commit(speech.itemId, event.audioEndMs - speech.startMs, createResponse, true);
    }
    // "The empty audio will be committed to the conversation as an input_audio item
    // (there will be a input_audio_buffer.committed event) and a model response will be generated."
    const itemId = this.host.id("item");
    this.#send({
      type: "input_audio_buffer.timeout_triggered",
      audio_start_ms: event.audioStartMs,
      audio_end_ms: event.audioEndMs,
      item_id: itemId,
    });
    this.#commit(itemId, event.audioEndMs - event.audioStartMs, createResponse, false);
  }

  #commit(itemId: string, audioMs: number, respond: boolean, spoken: boolean): void {
    this.#uncommittedMs = 0;
    const transcription = this.#session.audio?.input?.transcription;
    const transcript = transcription && spoken ? this.host.nextTranscript() : "";
    const previous = this.#conversation.add(itemId, {
      role: "user",
      type: "message",
      audioMs,
      chars: transcript.length,
    });
    this.#send({
      type: "input_audio_buffer.committed",
      item_id: itemId,
      previous_item_id: previous,
    });
    const item = { id: itemId, type: "message", role: "user", status: "completed" };
    this.#send({ type: "conversation.item.added", item, previous_item_id: previous });
    if (transcription) {
      const ref = { item_id: itemId, content_index: 0 };
      this.#send({
        type: "conversation.item.input_audio_transcription.delta",
        ...ref,
        delta: transcript,
      });
      this.#send({
        type: "conversation.item.input_audio_transcription.completed",
        ...ref,
        transcript,
        usage: transcriptionUsage(transcription.model ?? "whisper-1", audioMs, transcript),
      });
    }
    this.#send({ type: "conversation.item.done", item, previous_item_id: previous });
    if (respond && !this.#active) this.#respond(undefined, null);
  }

  #respond(params: ResponseParams | undefined, eid: string | null): void {
    const instructions = params?.instructions ?? this.#session.instructions ?? "";
    const tools = JSON.stringify(params?.tools ?? this.#session.tools ?? []);
    const input = this.#conversation.inputUsage(instructions + tools);
    const charged = this.host.spend(this.#session.model ?? "", input.text + input.audio);
    // Rate limited, the response fails and the script waits for the next one.
    const script: FakeResponse = charged.error
      ? { kind: "failed", error: charged.error }
      : this.host.nextResponse();
    if (script.kind === "refused") return this.#error(script.error, eid);
    const stream = new ResponseStream(this.#streamHost(), params?.metadata ?? null, input);
    this.#active = stream;
    stream.start(script, charged.limits);
  }

  #streamHost(): StreamHost {
    return {
      send: (e) => this.#send(e),
      sendRaw: (e) => this.#sendRaw(e),
      id: (p) => this.host.id(p),
      speed: this.host.speed,
      chunkMs: this.host.chunkMs,
      lateDeltas: this.host.lateDeltas,
      thinkMs: this.host.thinkMs,
      textOnly: this.#textOnly,
      addItem: (id, role, type) =>
        void this.#conversation.add(id, { role, type, audioMs: 0, chars: 0 }),
      grow: (id, audioMs, chars) => this.#conversation.grow(id, audioMs, chars),
      ended: (audioMs, outputTokens) => {
        this.#active = null;
        this.#vad.responseDone(audioMs);
        this.host.spend(this.#session.model ?? "", outputTokens);
      },
    };
  }
}
