/**
 * The OpenAI Realtime (GA) agent: one WebSocket per call, 24 kHz PCM both ways.
 *
 * Choices worth knowing:
 * - `start()` resolves on `session.updated`, i.e. once the service accepted our
 *   configuration; an `error` answering the `session.update`, a close, or no
 *   answer within `connectTimeoutMs` rejects it.
 * - Caller audio goes out two frames (40 ms) per `input_audio_buffer.append`,
 *   halving JSON/base64 overhead for at most 20 ms of extra VAD latency.
 * - While reconnecting, caller audio is dropped: the caller hears silence and
 *   the new session starts from a clean input buffer instead of a burst.
 * - Barge-in (reference §4.3): flush the player synchronously, cancel the
 *   in-flight response by id, then per unplayed item truncate at
 *   `floor(min(played, received))` or, when nothing of it was heard, delete it
 *   so the model does not believe it said something nobody heard. The agent's
 *   transcript entry keeps the share of words proportional to the audio heard.
 * - `response.create` is serialised: at most one in flight, queued until the
 *   active response's `response.done`, and re-queued if the service still
 *   answers `conversation_already_has_active_response`.
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { Agent, AgentContext } from "./agent.ts";
import {
  type ClientEvent,
  type KnownServerEvent,
  parseServerEvent,
  type ResponseParams,
  type ServerError,
  type SessionConfig,
  type TurnDetection,
} from "../../lib/realtime/events.ts";
import { base64ToInt16, int16ToBase64, PcmDecodeError } from "../../lib/audio/pcm.ts";
import {
  END_CALL_TOOL,
  endCallReason,
  executeTool,
  sessionTools,
  type ToolDefinition,
} from "./tools.ts";

/** Opens the Realtime socket; the default sends only `Authorization` (never `OpenAI-Beta`). */
export type WebSocketFactory = (url: string, apiKey: string) => WebSocket;

/** Timer functions, injectable so tests control time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** Whatever the runtime's `setTimeout` returns. */
export type TimerId = ReturnType<typeof setTimeout>;

/** Configuration of {@linkcode OpenAIRealtimeAgent}. */
export interface OpenAIRealtimeConfig {
  apiKey: string;
  /** @default "wss://api.openai.com/v1/realtime" */
  url?: string;
  /** @default "gpt-realtime" */
  model?: string;
  /** The system prompt. */
  instructions: string;
  /** @default "marin" */
  voice?: string;
  /** @default "server_vad" */
  turnDetection?: "server_vad" | "semantic_vad";
  /** Caller transcription model. @default "gpt-4o-mini-transcribe" */
  transcriptionModel?: string;
  /** @default "near_field" (a phone at the ear) */
  noiseReduction?: "near_field" | "far_field" | null;
  /** HTTP function tools; `end_call` is always added. */
  tools?: ToolDefinition[];
  webSocketFactory?: WebSocketFactory;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  timers?: Timers;
  /** Budget for the first reconnect attempts; the first retry is immediate. @default 2000 */
  reconnectWithinMs?: number;
  /** Attempts before giving up with `onFatal`. @default 3 */
  maxReconnectAttempts?: number;
  /** Per connection attempt, until `session.updated`. @default 4000 */
  connectTimeoutMs?: number;
  /** For HTTP tools. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 8000 */
  toolTimeoutMs?: number;
  /** Transcript entries re-injected after a reconnect (most recent kept). @default 50 */
  historyLimit?: number;
  /** @default getLogger(["bridge", "openai"]) */
  logger?: Logger;
}

const PCM = { type: "audio/pcm", rate: 24000 } as const;
const GREETING = "The call has just connected. Greet the caller briefly and ask how you can help.";
const GOODBYE = "The call must end now. Say a brief, polite goodbye in one short sentence.";

// Deno's WebSocket takes a non-standard `{ headers }` init (Deno >= 2.5); the
// DOM lib's constructor type only knows subprotocols, hence the cast.
const defaultFactory: WebSocketFactory = (url, key) => {
  const init: { headers: HeadersInit } = { headers: { Authorization: "Bearer " + key } };
  return new WebSocket(url, init as unknown as string[]);
};

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/**
 * The first `ratio` of `text`, cut back to a whole word: what the caller heard
 * of an interrupted utterance, assuming words are spread evenly over the audio.
 */
export function truncateText(text: string, ratio: number): string {
  const n = Math.round(text.length * Math.min(1, Math.max(0, ratio)));
  if (n >= text.length) return text;
  const head = text.slice(0, n);
  const cut = /\s/.test(text[n]!) ? head : head.replace(/\S+$/, "");
  return cut.trimEnd();
}

/** The part of an item's transcript the caller heard: `heardMs` of its received audio. */
function heardText(t: ItemTrack, heardMs: number): string {
  return truncateText(t.transcript, t.receivedMs > 0 ? heardMs / t.receivedMs : 0);
}

/** Why a connection attempt failed, and whether retrying can help. */
class ConnectError extends Error {
  constructor(message: string, readonly fatal: boolean) {
    super(message);
  }
}

interface ItemTrack {
  responseId: string;
  receivedMs: number;
  audioDone: boolean;
  /** Estimated playback start, epoch ms. */
  startedAt: number;
  transcript: string;
  /** `response.output_audio_transcript.done` arrived: `transcript` is final. */
  transcriptDone: boolean;
  reported: boolean;
  /** Fully played or cut at a barge-in. */
  settled: boolean;
}

type Purpose = "greeting" | "goodbye" | "tool" | "dtmf";

/** Speaks to the caller through OpenAI Realtime. */
export class OpenAIRealtimeAgent implements Agent {
  readonly #cfg: Required<Omit<OpenAIRealtimeConfig, "noiseReduction" | "logger">> & {
    noiseReduction: "near_field" | "far_field" | null;
  };
  #log: Logger;
  #ctx: AgentContext | undefined;
  #ws: WebSocket | null = null;
  #generation = 0;
  #state: "idle" | "connecting" | "ready" | "reconnecting" | "closed" = "idle";
  #seq = 0;
  #pendingFrame: Int16Array | null = null;
  #active: string | null = null;
  #createInFlight: { eventId: string; params: ResponseParams } | null = null;
  #queue: ResponseParams[] = [];
  #discarded = new Set<string>();
  #items = new Map<string, ItemTrack>();
  #reportTimers = new Set<TimerId>();
  #callerSpeech = new Map<string, { startedAt: number; endedAt?: number }>();
  #goodbye: string | null = null;
  #tools = new AbortController();
  #retryTimer: TimerId | undefined;
  #abortConnect: ((err: ConnectError) => void) | null = null;

  /** Creates the agent; nothing connects until {@linkcode start}. */
  constructor(config: OpenAIRealtimeConfig) {
    this.#cfg = {
      apiKey: config.apiKey,
      url: config.url ?? "wss://api.openai.com/v1/realtime",
      model: config.model ?? "gpt-realtime",
      instructions: config.instructions,
      voice: config.voice ?? "marin",
      turnDetection: config.turnDetection ?? "server_vad",
      transcriptionModel: config.transcriptionModel ?? "gpt-4o-mini-transcribe",
      noiseReduction: config.noiseReduction === undefined ? "near_field" : config.noiseReduction,
      tools: config.tools ?? [],
      webSocketFactory: config.webSocketFactory ?? defaultFactory,
      clock: config.clock ?? Date.now,
      timers: config.timers ?? defaultTimers,
      reconnectWithinMs: config.reconnectWithinMs ?? 2000,
      maxReconnectAttempts: config.maxReconnectAttempts ?? 3,
      connectTimeoutMs: config.connectTimeoutMs ?? 4000,
      fetch: config.fetch ?? ((input, init) => fetch(input, init)),
      toolTimeoutMs: config.toolTimeoutMs ?? 8000,
      historyLimit: config.historyLimit ?? 50,
    };
    this.#log = config.logger ?? getLogger(["bridge", "openai"]);
  }

  /** The `session.update` payload this agent sends (GA shape). */
  sessionConfig(): SessionConfig {
    const c = this.#cfg;
    const turn: TurnDetection = c.turnDetection === "server_vad"
      ? {
        type: "server_vad",
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 500,
        create_response: true,
        interrupt_response: true,
      }
      : {
        type: "semantic_vad",
        eagerness: "auto",
        create_response: true,
        interrupt_response: true,
      };
    return {
      type: "realtime",
      model: c.model,
      instructions: c.instructions,
      output_modalities: ["audio"],
      audio: {
        input: {
          format: PCM,
          noise_reduction: c.noiseReduction ? { type: c.noiseReduction } : null,
          transcription: { model: c.transcriptionModel },
          turn_detection: turn,
        },
        output: { format: PCM, voice: c.voice },
      },
      tools: sessionTools(c.tools),
      tool_choice: "auto",
    };
  }

  /** Connects and configures the session; resolves on `session.updated`. */
  async start(ctx: AgentContext): Promise<void> {
    this.#ctx = ctx;
    this.#log = this.#log.with({ callId: ctx.callId });
    this.#state = "connecting";
    try {
      await this.#connect(false);
    } catch (e) {
      this.#log.error("OPENAI_REALTIME_CONNECT_FAILED", { error: String(e) });
      this.#state = "closed";
      throw e;
    }
    if (this.#state !== "connecting") return; // closed meanwhile
    this.#state = "ready";
    this.#log.info("OPENAI_REALTIME_CONNECTED", { model: this.#cfg.model });
    // Meta may have accepted (and the greeting been queued) before OpenAI confirmed the session.
    this.#pump();
  }

  /** Greets at once, with the session persona plus a greeting directive. */
  callAccepted(): void {
    this.#requestResponse("greeting", GREETING);
  }

  /** Sends caller audio, two frames per append; dropped while not connected. */
  pushAudio(frame: Int16Array): void {
    if (this.#state !== "ready") return;
    const first = this.#pendingFrame;
    if (!first) {
      this.#pendingFrame = frame.slice();
      return;
    }
    this.#pendingFrame = null;
    const both = new Int16Array(first.length + frame.length);
    both.set(first);
    both.set(frame, first.length);
    this.#send({ type: "input_audio_buffer.append", audio: int16ToBase64(both) });
  }

  /** Tells the model which key was pressed and lets it answer. */
  pushDtmf(digit: string): void {
    if (!/^[0-9*#A-D]$/.test(digit) || this.#state !== "ready") return;
    this.#ctx?.onEvent("dtmf", { digit });
    this.#send({
      type: "conversation.item.create",
      item: {
        type: "message",
        role: "user",
        content: [{ type: "input_text", text: `[The caller pressed ${digit} on the keypad]` }],
      },
    });
    if (!this.#queue.some((p) => p.metadata?.purpose === "dtmf")) this.#requestResponse("dtmf");
  }

  /** Asks for a short goodbye; the hang-up is requested when that response is done. */
  sayGoodbye(reason: string): void {
    if (this.#state !== "ready") {
      this.#ctx?.requestHangup(reason);
      return;
    }
    this.#goodbye = reason;
    this.#requestResponse("goodbye", GOODBYE);
  }

  /** Closes the socket, aborts tool calls, cancels retries. Idempotent. */
  async close(reason: string): Promise<void> {
    if (this.#state === "closed" && !this.#ws) return;
    this.#stopWork();
    if (this.#retryTimer !== undefined) this.#cfg.timers.clearTimeout(this.#retryTimer);
    this.#abortConnect?.(new ConnectError(`closed: ${reason}`, true));
    const ws = this.#ws;
    this.#ws = null;
    this.#generation++;
    if (!ws) return;
    this.#log.info("OPENAI_REALTIME_CLOSED", { reason });
    if (ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.addEventListener("close", () => resolve()));
    ws.close(1000, "bridge closed");
    await closed;
  }

  /** Stores what was heard, then stops tools and pending reports; the agent is closed after. */
  #stopWork(): void {
    this.#flushTranscripts();
    this.#state = "closed";
    this.#tools.abort();
    for (const t of this.#reportTimers) this.#cfg.timers.clearTimeout(t);
    this.#reportTimers.clear();
  }

  /** At hang-up, store what the caller heard of lines still playing. */
  #flushTranscripts(): void {
    const ctx = this.#ctx;
    if (!ctx || this.#state === "closed") return;
    for (const [itemId, t] of this.#items) {
      if (t.reported || t.transcript.trim() === "") continue;
      const heard = Math.min(ctx.audio.playedMs(itemId), t.receivedMs);
      const whole = t.audioDone && heard >= t.receivedMs;
      this.#report(
        ctx,
        t,
        whole ? t.transcript : heardText(t, heard),
        !whole,
      );
    }
  }

  // ------------------------------------------------------------ connection

  #connect(reconnect: boolean): Promise<void> {
    const gen = ++this.#generation;
    const { url, model, apiKey, timers, connectTimeoutMs } = this.#cfg;
    const sep = url.includes("?") ? "&" : "?";
    const ws = this.#cfg.webSocketFactory(`${url}${sep}model=${encodeURIComponent(model)}`, apiKey);
    this.#ws = ws;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let ready = false;
      let handshakeError = "";
      let updateId: string | null = null;
      const fail = (err: ConnectError) => {
        timers.clearTimeout(timer);
        if (settled) return;
        settled = true;
        this.#abortConnect = null;
        reject(err);
        if (ws.readyState !== WebSocket.CLOSED) ws.close(1000, "connect failed");
      };
      this.#abortConnect = fail;
      const timer = timers.setTimeout(
        () => fail(new ConnectError(`no session.updated within ${connectTimeoutMs} ms`, false)),
        connectTimeoutMs,
      );
      ws.addEventListener("open", () => {
        if (gen !== this.#generation) return;
        updateId = this.#send({ type: "session.update", session: this.sessionConfig() });
        if (reconnect) this.#injectHistory();
      });
      ws.addEventListener("error", (e) => {
        handshakeError = e instanceof ErrorEvent ? e.message : "socket error";
      });
      ws.addEventListener("message", (e) => {
        if (gen !== this.#generation || typeof e.data !== "string" || (settled && !ready)) return;
        const parsed = parseServerEvent(e.data);
        if (!parsed.ok) {
          this.#log.warn("OPENAI_REALTIME_BAD_EVENT", { error: parsed.error });
          return;
        }
        const event = parsed.event;
        if (event.type === "unknown") return;
        if (!ready && event.type === "error" && event.error.event_id === updateId) {
          return fail(new ConnectError(`session.update rejected: ${event.error.message}`, true));
        }
        if (!ready && event.type === "session.updated") {
          settled = ready = true;
          this.#abortConnect = null;
          timers.clearTimeout(timer);
          resolve();
          return;
        }
        this.#onEvent(event);
      });
      ws.addEventListener("close", (e) => {
        timers.clearTimeout(timer);
        if (gen !== this.#generation) return;
        if (!ready) {
          const auth = /\b40[13]\b/.test(handshakeError);
          const why = handshakeError || `closed ${e.code} ${e.reason}`.trim();
          return fail(new ConnectError(why, auth || e.code === 4000));
        }
        this.#onDrop(e.code, e.reason);
      });
    });
  }

  #injectHistory(): void {
    const history = this.#ctx?.history() ?? [];
    for (const h of history.slice(-this.#cfg.historyLimit)) {
      if (h.text.trim() === "") continue;
      this.#send({
        type: "conversation.item.create",
        item: h.speaker === "caller"
          ? { type: "message", role: "user", content: [{ type: "input_text", text: h.text }] }
          : {
            type: "message",
            role: "assistant",
            content: [{ type: "output_text", text: h.text }],
          },
      });
    }
  }

  #resetSession(): void {
    this.#ws = null;
    this.#pendingFrame = null;
    this.#active = null;
    this.#createInFlight = null;
    this.#queue = [];
    this.#discarded.clear();
    this.#items.clear();
    this.#callerSpeech.clear();
  }

  async #onDrop(code: number, reason: string): Promise<void> {
    this.#log.warn("OPENAI_REALTIME_DISCONNECTED", { code, reason });
    this.#resetSession();
    if (this.#goodbye !== null) {
      // The goodbye cannot finish on a dead session; hang up on what was said.
      this.#ctx?.requestHangup(this.#goodbye);
      this.#goodbye = null;
    }
    if (code === 4000) {
      return this.#fatal(`OpenAI Realtime closed the session with 4000: ${reason}`);
    }
    this.#state = "reconnecting";
    const downAt = this.#cfg.clock();
    const { maxReconnectAttempts, reconnectWithinMs, timers } = this.#cfg;
    for (let attempt = 1; attempt <= maxReconnectAttempts; attempt++) {
      if (attempt > 1) {
        const delay = reconnectWithinMs * 4 ** (attempt - 3);
        await new Promise<void>((r) => this.#retryTimer = timers.setTimeout(r, delay));
      }
      if (this.#state !== "reconnecting") return;
      try {
        await this.#connect(true);
      } catch (e) {
        if (this.#state !== "reconnecting") return;
        this.#log.warn("OPENAI_REALTIME_RECONNECT_FAILED", { attempt, error: String(e) });
        if (e instanceof ConnectError && e.fatal) return this.#fatal(`reconnect: ${e.message}`);
        continue;
      }
      if (this.#state !== "reconnecting") return;
      this.#state = "ready";
      const downMs = this.#cfg.clock() - downAt;
      this.#log.info("OPENAI_REALTIME_RECONNECTED", { attempt, downMs });
      this.#ctx?.onEvent("openai_reconnected", { attempt, downMs });
      return;
    }
    this.#fatal(`OpenAI Realtime reconnect failed after ${maxReconnectAttempts} attempts`);
  }

  #fatal(message: string): void {
    if (this.#state === "closed") return;
    this.#stopWork();
    this.#log.error("OPENAI_REALTIME_FATAL", { error: message });
    this.#ctx?.onFatal(new Error(message));
  }

  /** Sends a client event with a fresh `event_id`; returns the id, or null if not open. */
  #send(event: ClientEvent): string | null {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return null;
    const eventId = `evt_${++this.#seq}`;
    ws.send(JSON.stringify({ ...event, event_id: eventId }));
    return eventId;
  }

  // ------------------------------------------------------------- responses

  #requestResponse(purpose: Purpose, directive?: string): void {
    const params: ResponseParams = { metadata: { purpose } };
    if (directive) params.instructions = `${this.#cfg.instructions}\n\n${directive}`;
    this.#queue.push(params);
    this.#pump();
  }

  #pump(): void {
    if (this.#state !== "ready" || this.#active || this.#createInFlight) return;
    const params = this.#queue.shift();
    if (!params) return;
    const eventId = this.#send({ type: "response.create", response: params });
    if (eventId) this.#createInFlight = { eventId, params };
  }

  // ---------------------------------------------------------------- events

  #onEvent(event: KnownServerEvent): void {
    const ctx = this.#ctx;
    if (!ctx || this.#state === "closed") return;
    switch (event.type) {
      case "input_audio_buffer.speech_started":
        this.#callerSpeech.set(event.item_id, { startedAt: this.#cfg.clock() });
        return this.#bargeIn(ctx);
      case "input_audio_buffer.speech_stopped": {
        const s = this.#callerSpeech.get(event.item_id);
        if (s) s.endedAt = this.#cfg.clock();
        return;
      }
      case "conversation.item.input_audio_transcription.completed": {
        const now = this.#cfg.clock();
        const s = this.#callerSpeech.get(event.item_id);
        this.#callerSpeech.delete(event.item_id);
        const text = event.transcript.trim();
        if (text === "") return;
        ctx.onTranscript({
          speaker: "caller",
          text,
          startedAt: s?.startedAt ?? now,
          endedAt: s?.endedAt ?? now,
        });
        return;
      }
      case "conversation.item.input_audio_transcription.failed":
        this.#log.warn("OPENAI_TRANSCRIPTION_FAILED", {
          itemId: event.item_id,
          code: event.error.code,
          message: event.error.message,
        });
        return;
      case "response.created": {
        this.#active = event.response.id;
        const purpose = event.response.metadata?.purpose;
        if (purpose !== undefined && purpose === this.#createInFlight?.params.metadata?.purpose) {
          this.#createInFlight = null;
        }
        return;
      }
      case "response.output_audio.delta":
        return this.#onAudio(ctx, event);
      case "response.output_audio_transcript.delta": {
        // Text can run ahead of the item's first audio; keep it from the first word.
        if (this.#discarded.has(event.response_id)) return;
        this.#track(ctx, event.item_id, event.response_id).transcript += event.delta;
        return;
      }
      case "response.output_audio.done": {
        const t = this.#items.get(event.item_id);
        if (t) t.audioDone = true;
        return;
      }
      case "response.output_audio_transcript.done": {
        const t = this.#items.get(event.item_id);
        if (!t || t.reported || this.#discarded.has(event.response_id)) return;
        t.transcript = event.transcript;
        t.transcriptDone = true;
        this.#reportWhenHeard(ctx, event.item_id, t);
        return;
      }
      case "response.function_call_arguments.done":
        if (this.#discarded.has(event.response_id)) return;
        void this.#onFunctionCall(ctx, event.name, event.arguments, event.call_id);
        return;
      case "response.done":
        return this.#onResponseDone(ctx, event);
      case "error":
        return this.#onServerError(event.error);
      case "input_audio_buffer.timeout_triggered":
        ctx.onEvent("caller_idle", { itemId: event.item_id });
        return;
      default:
        return;
    }
  }

  #onAudio(
    ctx: AgentContext,
    event: Extract<KnownServerEvent, { type: "response.output_audio.delta" }>,
  ): void {
    if (this.#discarded.has(event.response_id)) return;
    const pcm = base64ToInt16(event.delta);
    if (pcm instanceof PcmDecodeError) {
      this.#log.warn("OPENAI_REALTIME_BAD_AUDIO", { error: pcm.message });
      return;
    }
    const t = this.#track(ctx, event.item_id, event.response_id);
    t.receivedMs += pcm.length / 24;
    ctx.audio.enqueue(pcm, event.item_id);
  }

  /** The item's record, created on its first audio or transcript delta. */
  #track(ctx: AgentContext, itemId: string, responseId: string): ItemTrack {
    let t = this.#items.get(itemId);
    if (!t) {
      const queued = ctx.audio.queuedMs();
      // Nothing queued: every earlier item has been heard in full.
      if (queued === 0) this.#settleDoneItems();
      t = {
        responseId,
        receivedMs: 0,
        audioDone: false,
        startedAt: this.#cfg.clock() + queued,
        transcript: "",
        transcriptDone: false,
        reported: false,
        settled: false,
      };
      this.#items.set(itemId, t);
    }
    return t;
  }

  /**
   * Stores the agent's line once the caller has heard all of it. A barge-in
   * before then stores the heard part instead (marked interrupted), so each
   * line is stored exactly once and never claims words the caller missed.
   */
  #reportWhenHeard(ctx: AgentContext, itemId: string, t: ItemTrack): void {
    if (t.reported || this.#state === "closed") return;
    const remaining = t.receivedMs - ctx.audio.playedMs(itemId);
    if (!t.audioDone || remaining > 0) {
      const timer = this.#cfg.timers.setTimeout(() => {
        this.#reportTimers.delete(timer);
        this.#reportWhenHeard(ctx, itemId, t);
      }, Math.max(20, remaining));
      this.#reportTimers.add(timer);
      return;
    }
    this.#report(ctx, t, t.transcript, false);
    if (t.settled) this.#items.delete(itemId);
  }

  #report(ctx: AgentContext, t: ItemTrack, text: string, interrupted: boolean): void {
    t.reported = true;
    const trimmed = text.trim();
    if (trimmed === "") return;
    const now = this.#cfg.clock();
    ctx.onTranscript({
      speaker: "agent",
      text: trimmed,
      startedAt: t.startedAt,
      endedAt: interrupted ? Math.max(t.startedAt, now) : t.startedAt + t.receivedMs,
      ...(interrupted ? { interrupted } : {}),
    });
  }

  #settleDoneItems(): void {
    for (const [id, t] of this.#items) {
      if (!t.audioDone) continue;
      t.settled = true;
      if (t.reported) this.#items.delete(id);
    }
  }

  #onResponseDone(
    ctx: AgentContext,
    event: Extract<KnownServerEvent, { type: "response.done" }>,
  ): void {
    const r = event.response;
    if (this.#active === r.id) this.#active = null;
    if (r.status === "failed") {
      this.#log.warn("OPENAI_RESPONSE_FAILED", {
        responseId: r.id,
        code: r.status_details?.error?.code,
        message: r.status_details?.error?.message,
      });
    }
    if (r.metadata?.purpose === "goodbye" && this.#goodbye !== null) {
      const reason = this.#goodbye;
      this.#goodbye = null;
      ctx.requestHangup(reason);
    }
    this.#pump();
  }

  #onServerError(err: ServerError): void {
    if (err.code === "response_cancel_not_active") {
      // Expected: interrupt_response already cancelled it server-side.
      this.#log.debug("OPENAI_REALTIME_CANCEL_NOT_ACTIVE", { clientEventId: err.event_id });
      return;
    }
    const create = this.#createInFlight;
    if (
      err.code === "conversation_already_has_active_response" && create &&
      err.event_id === create.eventId
    ) {
      this.#createInFlight = null;
      this.#queue.unshift(create.params);
      this.#log.info("OPENAI_RESPONSE_QUEUED", { purpose: create.params.metadata?.purpose });
      return;
    }
    this.#log.warn("OPENAI_REALTIME_ERROR", {
      type: err.type,
      code: err.code,
      message: err.message,
      param: err.param,
      clientEventId: err.event_id,
    });
  }

  // --------------------------------------------------------------- barge-in

  #bargeIn(ctx: AgentContext): void {
    const played = ctx.audio.flush();
    const cancelled = this.#active;
    if (cancelled) {
      this.#discarded.add(cancelled);
      this.#send({ type: "response.cancel", response_id: cancelled });
    }
    const cut: { itemId: string; playedMs: number; receivedMs: number; action: string }[] = [];
    for (const [itemId, t] of this.#items) {
      if (t.settled) continue;
      // Not in the flush: nothing of it was queued, so all received audio was heard.
      const heard = Math.min(played.get(itemId) ?? t.receivedMs, t.receivedMs);
      if (t.audioDone && heard >= t.receivedMs) {
        t.settled = true;
        if (t.reported) this.#items.delete(itemId);
        continue;
      }
      const endMs = Math.floor(heard);
      this.#discarded.add(t.responseId);
      this.#items.delete(itemId);
      if (endMs <= 0) {
        this.#send({ type: "conversation.item.delete", item_id: itemId });
      } else {
        this.#send({
          type: "conversation.item.truncate",
          item_id: itemId,
          content_index: 0,
          audio_end_ms: endMs,
        });
      }
      cut.push({
        itemId,
        playedMs: endMs,
        receivedMs: t.receivedMs,
        action: endMs ? "truncate" : "delete",
      });
      if (!t.reported) {
        this.#report(ctx, t, heardText(t, heard), true);
      }
    }
    if (!cancelled && cut.length === 0) return;
    this.#log.info("AGENT_BARGE_IN", { cancelled, items: cut });
    ctx.onEvent("barge_in", { cancelledResponseId: cancelled, items: cut });
  }

  // ------------------------------------------------------------------ tools

  async #onFunctionCall(ctx: AgentContext, name: string, args: string, callId: string) {
    this.#log.info("AGENT_TOOL_CALL", { name, toolCallId: callId });
    if (name === END_CALL_TOOL) {
      const reason = endCallReason(args);
      this.#sendToolOutput(callId, JSON.stringify({ ok: true }));
      ctx.onEvent("tool_call", { name, callId, ok: true });
      ctx.requestHangup(reason);
      return;
    }
    const gen = this.#generation;
    const started = this.#cfg.clock();
    const def = this.#cfg.tools.find((d) => d.name === name);
    const output = def
      ? await executeTool(def, { name, arguments: args, callId }, {
        fetch: this.#cfg.fetch,
        timeoutMs: this.#cfg.toolTimeoutMs,
        signal: this.#tools.signal,
      })
      : JSON.stringify({ error: `unknown tool: ${name}` });
    const durationMs = this.#cfg.clock() - started;
    const ok = !output.startsWith('{"error":');
    this.#log.info("AGENT_TOOL_RESULT", { name, toolCallId: callId, durationMs, ok });
    if (this.#state === "closed" || gen !== this.#generation) return; // session gone
    ctx.onEvent("tool_call", { name, callId, durationMs, ok });
    this.#sendToolOutput(callId, output);
    this.#requestResponse("tool");
  }

  #sendToolOutput(callId: string, output: string): void {
    this.#send({
      type: "conversation.item.create",
      item: { type: "function_call_output", call_id: callId, output },
    });
  }
}
