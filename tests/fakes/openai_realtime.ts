/**
 * A fake OpenAI Realtime GA server for tests: a real WebSocket endpoint on
 * 127.0.0.1 that behaves like the service where the bridge depends on it.
 *
 * - `Authorization: Bearer <key>` is required (401 otherwise); `?model=` too.
 * - The retired beta shape (an `OpenAI-Beta` header or a beta `session.update`)
 *   gets a `beta_api_shape_disabled` error and close code 4000.
 * - Every client event is validated against the GA schema; invalid ones get an
 *   `invalid_request_error` and the session stays open.
 * - Server VAD runs on the energy of the appended PCM, on the input-buffer
 *   timeline (10 ms windows, prefix padding, silence duration); semantic VAD
 *   is treated the same.
 * - Responses follow a script (audio tone/PCM with a transcript, or a function
 *   call) and stream faster than real time; `interrupt_response` cancels on
 *   speech; truncation is checked against the audio actually sent.
 *
 * @module
 */
import {
  betaSessionShape,
  type ClientEvent,
  type KnownServerEvent,
  parseClientEvent,
  type RealtimeResponse,
  type ResponseParams,
  type SessionConfig,
  type TurnDetection,
} from "../../lib/realtime/events.ts";
import { base64ToInt16, int16ToBase64, PcmDecodeError } from "../../lib/audio/pcm.ts";

/** One scripted response. */
export type FakeResponse =
  | {
    kind: "audio";
    transcript: string;
    /** Sine frequency, Hz, when `pcm` is not given. @default 440 */
    toneHz?: number;
    /** Tone length, ms. @default 600 */
    durationMs?: number;
    /** Exact 24 kHz samples to stream instead of a tone. */
    pcm?: Int16Array;
  }
  | { kind: "function_call"; name: string; arguments: string };

/** Options of {@linkcode FakeRealtimeServer}. */
export interface FakeRealtimeOptions {
  /** @default "sk-test" */
  apiKey?: string;
  /** Caller transcripts, consumed in order, one per committed utterance. */
  transcripts?: string[];
  /** Responses, consumed in order across connections; then `defaultResponse`. */
  responses?: FakeResponse[];
  /** @default a 600 ms 440 Hz tone saying "Okay." */
  defaultResponse?: FakeResponse;
  /** Audio streaming speed, multiple of real time. @default 4 */
  speed?: number;
  /** Audio per delta, ms. @default 40 */
  chunkMs?: number;
  /** RMS (int16 units) above which a 10 ms window is speech. @default 500 */
  speechRms?: number;
  /** Audio deltas still sent after a response is cancelled, as in-flight frames. @default 0 */
  lateDeltas?: number;
}

/** A frame the fake received or sent, with its connection number (1-based). */
export interface RecordedEvent {
  connection: number;
  type: string;
  event: Record<string, unknown>;
}

/** The message the service sends before closing a beta-shaped socket. */
export const BETA_DISABLED_MESSAGE =
  "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.";

const RATE = 24;
const WINDOW = 240; // 10 ms at 24 kHz

/** A sine tone at 24 kHz, amplitude 8000. */
export function tone(hz: number, ms: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(ms * RATE));
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / 24000));
  }
  return out;
}

/** A server event before the fake stamps its `event_id`. */
type Outgoing = KnownServerEvent extends infer E
  ? E extends unknown ? { [K in keyof E as K extends "event_id" ? never : K]: E[K] } : never
  : never;

interface ItemState {
  role: string;
  type: string;
  /** Audio sent to the client (assistant audio), ms. */
  sentMs: number;
}

interface ActiveResponse {
  id: string;
  metadata: Record<string, string> | null;
  timer?: ReturnType<typeof setTimeout>;
  finish(status: "completed" | "cancelled", reason?: string): void;
}

type Waiter = {
  list: RecordedEvent[];
  match: (e: RecordedEvent) => boolean;
  resolve: (e: RecordedEvent) => void;
};

/** The fake service. Create with {@linkcode FakeRealtimeServer.start}. */
export class FakeRealtimeServer {
  /** The key clients must present; tests may rotate it. */
  apiKey: string;
  /** Every client frame received, in order (invalid ones included). */
  readonly received: RecordedEvent[] = [];
  /** Every server event sent, in order. */
  readonly sent: RecordedEvent[] = [];
  /** Request URLs of accepted connections. */
  readonly urls: string[] = [];
  readonly #opts: Required<Omit<FakeRealtimeOptions, "apiKey" | "transcripts" | "responses">>;
  readonly #transcripts: string[];
  readonly #responses: FakeResponse[];
  readonly #conns = new Set<Connection>();
  readonly #waiters = new Set<Waiter>();
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #refuse = 0;
  #connections = 0;
  #ids = 0;

  private constructor(options: FakeRealtimeOptions) {
    this.apiKey = options.apiKey ?? "sk-test";
    this.#transcripts = [...(options.transcripts ?? [])];
    this.#responses = [...(options.responses ?? [])];
    this.#opts = {
      defaultResponse: options.defaultResponse ??
        { kind: "audio", transcript: "Okay.", toneHz: 440, durationMs: 600 },
      speed: options.speed ?? 4,
      chunkMs: options.chunkMs ?? 40,
      speechRms: options.speechRms ?? 500,
      lateDeltas: options.lateDeltas ?? 0,
    };
  }

  /** Starts listening on 127.0.0.1 at a free port. */
  static start(options: FakeRealtimeOptions = {}): FakeRealtimeServer {
    const fake = new FakeRealtimeServer(options);
    fake.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => fake.#handle(req),
    );
    return fake;
  }

  /** `ws://127.0.0.1:<port>/v1/realtime` (add `?model=`). */
  get url(): string {
    return `ws://127.0.0.1:${this.#server!.addr.port}/v1/realtime`;
  }

  /** Closes every open socket from the server side (an unexpected drop for clients). */
  dropAll(code = 1000, reason = "fake drop"): void {
    for (const c of this.#conns) c.close(code, reason);
  }

  /** Refuses the next `n` handshakes with HTTP 503. */
  dropNext(n = 1): void {
    this.#refuse += n;
  }

  /** Resolves with the first received client event of `type` matching `pred` (past or future). */
  waitForEvent(
    type: string,
    pred: (e: Record<string, unknown>, connection: number) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Record<string, unknown>> {
    return this.#wait(this.received, type, pred, timeoutMs);
  }

  /** Like {@linkcode waitForEvent}, over the events the fake sent. */
  waitForSent(
    type: string,
    pred: (e: Record<string, unknown>, connection: number) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Record<string, unknown>> {
    return this.#wait(this.sent, type, pred, timeoutMs);
  }

  /** Received client events of `type`, optionally on one connection. */
  receivedOf(type: string, connection?: number): Record<string, unknown>[] {
    return this.received
      .filter((r) => r.type === type && (connection === undefined || r.connection === connection))
      .map((r) => r.event);
  }

  /** Stops everything. */
  async close(): Promise<void> {
    for (const c of this.#conns) c.close(1001, "server shutdown");
    await this.#server?.shutdown();
  }

  #wait(
    list: RecordedEvent[],
    type: string,
    pred: (e: Record<string, unknown>, connection: number) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const match = (r: RecordedEvent) => r.type === type && pred(r.event, r.connection);
    const found = list.find(match);
    if (found) return Promise.resolve(found.event);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        list,
        match,
        resolve: (r) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(r.event);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seen = list.map((r) => r.type).join(", ");
        reject(new Error(`timed out waiting for ${type}; seen: ${seen}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** @internal */
  record(list: "received" | "sent", r: RecordedEvent): void {
    const target = list === "received" ? this.received : this.sent;
    target.push(r);
    for (const w of [...this.#waiters]) if (w.list === target && w.match(r)) w.resolve(r);
  }

  /** @internal */
  id(prefix: string): string {
    return `${prefix}_${++this.#ids}`;
  }

  /** @internal */
  nextTranscript(): string {
    return this.#transcripts.shift() ?? "";
  }

  /** @internal */
  nextResponse(): FakeResponse {
    return this.#responses.shift() ?? this.#opts.defaultResponse;
  }

  /** @internal */
  get opts(): Readonly<
    Required<Omit<FakeRealtimeOptions, "apiKey" | "transcripts" | "responses">>
  > {
    return this.#opts;
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    if (url.pathname !== "/v1/realtime") return new Response("not found", { status: 404 });
    if (req.headers.get("authorization") !== `Bearer ${this.apiKey}`) {
      return Response.json(
        { error: { type: "invalid_request_error", code: "invalid_api_key", message: "Bad key" } },
        { status: 401 },
      );
    }
    if (!url.searchParams.get("model")) {
      return Response.json({ error: { message: "Missing model" } }, { status: 400 });
    }
    if (this.#refuse > 0) {
      this.#refuse--;
      return new Response("unavailable", { status: 503 });
    }
    const beta = req.headers.get("openai-beta") !== null;
    const { socket, response } = Deno.upgradeWebSocket(req);
    this.urls.push(req.url);
    const conn = new Connection(this, socket, ++this.#connections, url.searchParams.get("model")!);
    this.#conns.add(conn);
    socket.addEventListener("close", () => this.#conns.delete(conn));
    socket.addEventListener("open", () => beta ? conn.rejectBeta() : conn.greet());
    return response;
  }
}

/** One client socket and its session state. */
class Connection {
  #session: SessionConfig;
  #closed = false;
  #items = new Map<string, ItemState>();
  #lastItem: string | null = null;
  #active: ActiveResponse | null = null;
  // VAD on the input-buffer timeline.
  #carry = new Int16Array(0);
  #windows = 0;
  #uncommitted = 0;
  #speech: { itemId: string; startMs: number; lastVoiceMs: number } | null = null;

  constructor(
    readonly server: FakeRealtimeServer,
    readonly ws: WebSocket,
    readonly n: number,
    model: string,
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
  }

  greet(): void {
    this.#send({ type: "session.created", session: this.#sessionOut() });
  }

  rejectBeta(): void {
    this.#error("beta_api_shape_disabled", BETA_DISABLED_MESSAGE, null, null);
    this.close(4000, BETA_DISABLED_MESSAGE);
  }

  close(code: number, reason: string): void {
    this.#stop();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, reason);
  }

  #stop(): void {
    this.#closed = true;
    if (this.#active?.timer !== undefined) clearTimeout(this.#active.timer);
    this.#active = null;
  }

  #eid(): string {
    return this.server.id("event");
  }

  #send(event: Outgoing): void {
    this.#sendRaw(event);
  }

  /** For events outside the bridge's schema (e.g. `response.content_part.added`). */
  #sendRaw(event: { type: string; [k: string]: unknown }): void {
    if (this.#closed || this.ws.readyState !== WebSocket.OPEN) return;
    const e = { event_id: this.#eid(), ...event };
    this.server.record("sent", { connection: this.n, type: e.type, event: e });
    this.ws.send(JSON.stringify(e));
  }

  #error(code: string, message: string, param: string | null, clientEventId: string | null) {
    this.#send({
      type: "error",
      error: { type: "invalid_request_error", code, message, param, event_id: clientEventId },
    });
  }

  #sessionOut(): Record<string, unknown> {
    return { ...this.#session, object: "realtime.session", id: `sess_${this.n}` };
  }

  #onMessage(data: unknown): void {
    if (typeof data !== "string") {
      return this.#error("invalid_value", "Binary frames are not supported", null, null);
    }
    let raw: Record<string, unknown> = {};
    try {
      const v: unknown = JSON.parse(data);
      if (typeof v === "object" && v !== null) raw = v as Record<string, unknown>;
    } catch { /* recorded as an empty event; parseClientEvent reports it */ }
    this.server.record("received", { connection: this.n, type: String(raw.type), event: raw });
    if (betaSessionShape(raw) !== null) return this.rejectBeta();
    const parsed = parseClientEvent(data);
    if (!parsed.ok) {
      const { code, message, param, event_id } = parsed.error;
      return this.#error(code, message, param, event_id);
    }
    this.#dispatch(parsed.event);
  }

  #dispatch(e: ClientEvent): void {
    const eid = e.event_id ?? null;
    switch (e.type) {
      case "session.update": {
        const s = e.session;
        this.#session = {
          ...this.#session,
          ...s,
          audio: {
            input: { ...this.#session.audio?.input, ...s.audio?.input },
            output: { ...this.#session.audio?.output, ...s.audio?.output },
          },
        };
        return this.#send({
          type: "session.updated",
          session: this.#sessionOut(),
        });
      }
      case "input_audio_buffer.append": {
        const pcm = base64ToInt16(e.audio);
        if (pcm instanceof PcmDecodeError) {
          return this.#error("invalid_value", `Invalid 'audio': ${pcm.message}`, "audio", eid);
        }
        return this.#append(pcm);
      }
      case "input_audio_buffer.commit": {
        const ms = this.#uncommitted / RATE;
        if (ms < 100) {
          return this.#error(
            "input_audio_buffer_commit_empty",
            `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${
              ms.toFixed(2)
            }ms of audio.`,
            null,
            eid,
          );
        }
        return this.#commit(this.server.id("item"), false);
      }
      case "input_audio_buffer.clear":
        this.#uncommitted = 0;
        this.#speech = null;
        return this.#send({ type: "input_audio_buffer.cleared" });
      case "conversation.item.create": {
        const id = e.item.id ?? this.server.id("item");
        const role = e.item.type === "message" ? e.item.role : "";
        this.#items.set(id, { role, type: e.item.type, sentMs: 0 });
        const item = { ...e.item, id, object: "realtime.item", status: "completed" };
        const previous_item_id = this.#lastItem;
        this.#lastItem = id;
        this.#send({
          type: "conversation.item.added",
          item,
          previous_item_id,
        });
        return this.#send({
          type: "conversation.item.done",
          item,
          previous_item_id,
        });
      }
      case "conversation.item.truncate":
        return this.#truncate(e.item_id, e.audio_end_ms, eid);
      case "conversation.item.delete":
        if (!this.#items.delete(e.item_id)) return this.#notFound(e.item_id, eid);
        return this.#send({
          type: "conversation.item.deleted",
          item_id: e.item_id,
        });
      case "conversation.item.retrieve": {
        const item = this.#items.get(e.item_id);
        if (!item) return this.#notFound(e.item_id, eid);
        return this.#send({
          type: "conversation.item.retrieved",
          item: { id: e.item_id, type: item.type, role: item.role },
        });
      }
      case "response.create":
        if (this.#active) {
          return this.#error(
            "conversation_already_has_active_response",
            `Conversation already has an active response in progress: ${this.#active.id}. Wait until the response is finished before creating a new one.`,
            null,
            eid,
          );
        }
        return this.#respond(e.response);
      case "response.cancel":
        if (!this.#active || (e.response_id !== undefined && e.response_id !== this.#active.id)) {
          return this.#error(
            "response_cancel_not_active",
            "Cancellation failed: no active response found",
            null,
            eid,
          );
        }
        return this.#active.finish("cancelled", "client_cancelled");
      case "output_audio_buffer.clear":
        // Assumption: the service only honours this on WebRTC/SIP legs.
        return this.#error(
          "invalid_value",
          "output_audio_buffer.clear is only supported for WebRTC and SIP connections",
          null,
          eid,
        );
    }
  }

  #notFound(itemId: string, eid: string | null): void {
    this.#error("item_not_found", `Item with item_id not found: ${itemId}`, "item_id", eid);
  }

  #truncate(itemId: string, endMs: number, eid: string | null): void {
    const item = this.#items.get(itemId);
    if (!item) return this.#notFound(itemId, eid);
    if (item.role !== "assistant" || item.sentMs === 0) {
      return this.#error(
        "unsupported_content_type",
        "Only model output audio messages can be truncated",
        null,
        eid,
      );
    }
    const sent = Math.floor(item.sentMs);
    if (endMs > sent) {
      return this.#error(
        "invalid_value",
        `Audio content of ${sent}ms is already shorter than ${endMs}ms`,
        "audio_end_ms",
        eid,
      );
    }
    item.sentMs = endMs;
    this.#send({
      type: "conversation.item.truncated",
      item_id: itemId,
      content_index: 0,
      audio_end_ms: endMs,
    });
  }

  #turnDetection() {
    return this.#session.audio?.input?.turn_detection ?? null;
  }

  #append(pcm: Int16Array): void {
    this.#uncommitted += pcm.length;
    const td = this.#turnDetection();
    if (td === null) return;
    const all = new Int16Array(this.#carry.length + pcm.length);
    all.set(this.#carry);
    all.set(pcm, this.#carry.length);
    let off = 0;
    for (; off + WINDOW <= all.length; off += WINDOW) {
      let sum = 0;
      for (let i = off; i < off + WINDOW; i++) sum += all[i]! * all[i]!;
      this.#vadWindow(Math.sqrt(sum / WINDOW) >= this.server.opts.speechRms, td);
    }
    this.#carry = all.slice(off);
  }

  #vadWindow(voiced: boolean, td: TurnDetection): void {
    const t = this.#windows++ * 10;
    const prefix = td.type === "server_vad" ? td.prefix_padding_ms ?? 300 : 300;
    const silence = td.type === "server_vad" ? td.silence_duration_ms ?? 500 : 500;
    if (!this.#speech) {
      if (!voiced) return;
      const itemId = this.server.id("item");
      this.#speech = { itemId, startMs: Math.max(0, t - prefix), lastVoiceMs: t + 10 };
      this.#send({
        type: "input_audio_buffer.speech_started",
        audio_start_ms: this.#speech.startMs,
        item_id: itemId,
      });
      if (td.interrupt_response !== false) this.#active?.finish("cancelled", "turn_detected");
      return;
    }
    if (voiced) {
      this.#speech.lastVoiceMs = t + 10;
      return;
    }
    if (t + 10 - this.#speech.lastVoiceMs < silence) return;
    const { itemId, lastVoiceMs } = this.#speech;
    this.#speech = null;
    this.#send({
      type: "input_audio_buffer.speech_stopped",
      audio_end_ms: lastVoiceMs,
      item_id: itemId,
    });
    this.#commit(itemId, td.create_response !== false);
  }

  #commit(itemId: string, respond: boolean): void {
    this.#uncommitted = 0;
    const previous = this.#lastItem;
    this.#lastItem = itemId;
    this.#items.set(itemId, { role: "user", type: "message", sentMs: 0 });
    this.#send({
      type: "input_audio_buffer.committed",
      item_id: itemId,
      previous_item_id: previous,
    });
    const item = { id: itemId, type: "message", role: "user", status: "completed" };
    this.#send({
      type: "conversation.item.added",
      item,
      previous_item_id: previous,
    });
    if (this.#session.audio?.input?.transcription) {
      const transcript = this.server.nextTranscript();
      this.#send({
        type: "conversation.item.input_audio_transcription.delta",
        item_id: itemId,
        content_index: 0,
        delta: transcript,
      });
      this.#send({
        type: "conversation.item.input_audio_transcription.completed",
        item_id: itemId,
        content_index: 0,
        transcript,
      });
    }
    this.#send({
      type: "conversation.item.done",
      item,
      previous_item_id: previous,
    });
    if (respond && !this.#active) this.#respond(undefined);
  }

  #respond(params: ResponseParams | undefined): void {
    const script = this.server.nextResponse();
    const id = this.server.id("resp");
    const metadata = params?.metadata ?? null;
    const itemId = this.server.id("item");
    const response = (status: RealtimeResponse["status"], extra: Record<string, unknown> = {}) => ({
      id,
      object: "realtime.response",
      status,
      output: [],
      metadata,
      ...extra,
    });
    this.#send({
      type: "response.created",
      response: response("in_progress"),
    });
    this.#send({
      type: "rate_limits.updated",
      rate_limits: [{ name: "requests", limit: 1000, remaining: 999, reset_seconds: 60 }],
    });
    const ref = { response_id: id, item_id: itemId, output_index: 0 };
    const done = (status: "completed" | "cancelled", reason?: string) => {
      this.#active = null;
      const details = status === "cancelled" ? { type: "cancelled", reason } : null;
      this.#send({
        type: "response.done",
        response: response(status, { status_details: details }),
      });
    };
    if (script.kind === "function_call") {
      const item = {
        id: itemId,
        type: "function_call",
        call_id: this.server.id("call"),
        name: script.name,
      };
      this.#items.set(itemId, { role: "", type: "function_call", sentMs: 0 });
      this.#lastItem = itemId;
      this.#send({
        type: "response.output_item.added",
        ...ref,
        item: { ...item, arguments: "" },
      });
      const half = Math.floor(script.arguments.length / 2);
      for (const delta of [script.arguments.slice(0, half), script.arguments.slice(half)]) {
        this.#send({
          type: "response.function_call_arguments.delta",
          ...ref,
          call_id: item.call_id,
          delta,
        });
      }
      this.#send({
        type: "response.function_call_arguments.done",
        ...ref,
        call_id: item.call_id,
        name: script.name,
        arguments: script.arguments,
      });
      this.#send({
        type: "response.output_item.done",
        ...ref,
        item: { ...item, arguments: script.arguments, status: "completed" },
      });
      return done("completed");
    }
    const pcm = script.pcm ?? tone(script.toneHz ?? 440, script.durationMs ?? 600);
    const words = script.transcript.split(/(?<= )/);
    const state: ItemState = { role: "assistant", type: "message", sentMs: 0 };
    this.#items.set(itemId, state);
    this.#lastItem = itemId;
    const message = { id: itemId, type: "message", role: "assistant" };
    this.#send({
      type: "response.output_item.added",
      ...ref,
      item: { ...message, status: "in_progress" },
    });
    this.#sendRaw({
      type: "response.content_part.added",
      ...ref,
      content_index: 0,
      part: { type: "output_audio" },
    });
    const { chunkMs, speed } = this.server.opts;
    const chunk = chunkMs * RATE;
    let offset = 0;
    let said = "";
    const active: ActiveResponse = {
      id,
      metadata,
      finish: (status, reason) => {
        if (active.timer !== undefined) clearTimeout(active.timer);
        // The service keeps sending frames already in flight after a cancel.
        const late = status === "cancelled" ? this.server.opts.lateDeltas : 0;
        for (let i = 0; i < late && offset < pcm.length; i++) sendChunk();
        const part = { ...ref, content_index: 0 };
        this.#send({ type: "response.output_audio.done", ...part });
        this.#send({
          type: "response.output_audio_transcript.done",
          ...part,
          transcript: said,
        });
        const itemStatus = status === "completed" ? "completed" : "incomplete";
        this.#send({
          type: "response.output_item.done",
          ...ref,
          item: { ...message, status: itemStatus },
        });
        done(status, reason);
      },
    };
    this.#active = active;
    const sendChunk = () => {
      const piece = pcm.subarray(offset, offset + chunk);
      offset += piece.length;
      const word = words.shift();
      if (word !== undefined) {
        said += word;
        this.#send({
          type: "response.output_audio_transcript.delta",
          ...ref,
          content_index: 0,
          delta: word,
        });
      }
      state.sentMs += piece.length / RATE;
      this.#send({
        type: "response.output_audio.delta",
        ...ref,
        content_index: 0,
        delta: int16ToBase64(piece),
      });
    };
    const tick = () => {
      if (this.#active !== active) return;
      sendChunk();
      if (offset >= pcm.length) {
        said += words.join("");
        return active.finish("completed");
      }
      active.timer = setTimeout(tick, chunkMs / speed);
    };
    tick();
  }
}
