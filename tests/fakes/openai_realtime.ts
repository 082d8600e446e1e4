/**
 * A fake OpenAI Realtime GA server for tests: a real WebSocket endpoint on
 * 127.0.0.1 that behaves like the service where the bridge depends on it, as
 * strict as the service and no stricter.
 *
 * - `Authorization: Bearer <key>` is required (401 otherwise); `?model=` too.
 * - The retired beta shape (an `OpenAI-Beta` header or a beta `session.update`)
 *   gets a `beta_api_shape_disabled` error and close code 4000.
 * - Every client event is validated against the GA schema
 *   (`lib/realtime/session.ts`, `events.ts`); invalid ones get an
 *   `invalid_request_error` and the session stays open.
 * - Turn detection, idle timeout and eagerness: `openai_realtime_vad.ts`.
 * - Responses follow a script (audio, a function call, a failure or a
 *   refusal) and stream faster than real time with realistic `usage`:
 *   `openai_realtime_response.ts`. Each starts with `rate_limits.updated`;
 *   over the organisation's tokens per minute it fails as the service fails
 *   it (`status: "failed"`, code `rate_limit_exceeded`, observed by third
 *   parties, not documented by OpenAI).
 * - Sessions close with 1001 at their maximum duration; text-only answers
 *   after a replayed assistant message: `openai_realtime_connection.ts`;
 *   items, truncation and token counts: `openai_realtime_conversation.ts`.
 *
 * @module
 */
import { Connection, type FakeHost, type RecordedEvent } from "./openai_realtime_connection.ts";
import { FakeResponsesApi } from "./openai_responses.ts";
import type { FakeError, FakeResponse, RateLimit } from "./openai_realtime_response.ts";

export {
  BETA_DISABLED_MESSAGE,
  type RecordedEvent,
  SESSION_EXPIRED_REASON,
} from "./openai_realtime_connection.ts";
export { type FakeError, type FakeResponse, tone } from "./openai_realtime_response.ts";

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
  /** Audio deltas still sent after a response is cancelled, as in-flight frames. @default 0 */
  lateDeltas?: number;
  /**
   * Real ms each response "thinks" between `response.created` and its first
   * output (not scaled by `speed`), so latency figures mean something. @default 0
   */
  thinkMs?: number;
  /** A session's longest life; then the socket closes with 1001. @default 60 minutes */
  maxSessionMs?: number;
  /** The organisation's budget of tokens (input and output) per window. @default unlimited */
  rateLimit?: { tokensPerMinute: number; windowMs?: number };
  /**
   * How a wrong key is refused: `http`, a 401 at the handshake (the
   * default), or `event`, the handshake accepted and then an
   * `invalid_api_key` error and close 3000 (reported of the service by
   * third parties for a random key).
   */
  wrongKey?: "http" | "event";
  /**
   * Models the service knows; any other gets a `model_not_found` error and
   * close 3000 after the handshake (the message the service gives, as
   * openai/openai-realtime-console#561 quotes it). @default any model
   */
  models?: readonly string[];
}

type Waiter = {
  list: RecordedEvent[];
  match: (e: RecordedEvent) => boolean;
  resolve: (e: RecordedEvent) => void;
};

const MINUTE_MS = 60_000;

const WRONG_KEY: FakeError = {
  type: "invalid_request_error",
  code: "invalid_api_key",
  message: "Incorrect API key provided: sk-wr***ey. You can find your API key at " +
    "https://platform.openai.com/account/api-keys.",
};

function unknownModel(model: string): FakeError {
  return {
    type: "invalid_request_error",
    code: "model_not_found",
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
  };
}

/** The fake service. Create with {@linkcode FakeRealtimeServer.start}. */
export class FakeRealtimeServer {
  /** The key clients must present; tests may rotate it. */
  apiKey: string;
  /** Every client frame received, in order (invalid ones included). */
  readonly received: RecordedEvent[] = [];
  /** Think time of responses created from now on (see {@linkcode FakeRealtimeOptions.thinkMs}). */
  thinkMs: number;
  /** Every server event sent, in order. */
  readonly sent: RecordedEvent[] = [];
  /** Request URLs of accepted connections. */
  readonly urls: string[] = [];
  /** `POST /v1/responses` on the same port (post-call analysis): `openai_responses.ts`. */
  readonly textApi: FakeResponsesApi = new FakeResponsesApi(() => this.apiKey);
  readonly #maxSessionMs: number;
  readonly #rateLimit: { tokensPerMinute: number; windowMs: number } | null;
  #window = { start: 0, used: 0 };
  readonly #transcripts: string[];
  readonly #responses: FakeResponse[];
  readonly #conns = new Set<Connection>();
  readonly #waiters = new Set<Waiter>();
  /** What each connection sees of this server. */
  readonly #host: FakeHost;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #refuse = 0;
  readonly #wrongKey: "http" | "event";
  readonly #models: readonly string[] | undefined;
  #connections = 0;
  #ids = 0;

  private constructor(options: FakeRealtimeOptions) {
    this.apiKey = options.apiKey ?? "sk-test";
    this.#transcripts = [...(options.transcripts ?? [])];
    this.#responses = [...(options.responses ?? [])];
    this.#maxSessionMs = options.maxSessionMs ?? 60 * MINUTE_MS;
    this.#rateLimit = options.rateLimit ? { windowMs: MINUTE_MS, ...options.rateLimit } : null;
    this.#wrongKey = options.wrongKey ?? "http";
    this.#models = options.models;
    const defaultResponse: FakeResponse = options.defaultResponse ??
      { kind: "audio", transcript: "Okay.", toneHz: 440, durationMs: 600 };
    this.thinkMs = options.thinkMs ?? 0;
    const thinkMs = () => this.thinkMs;
    this.#host = {
      speed: options.speed ?? 4,
      chunkMs: options.chunkMs ?? 40,
      lateDeltas: options.lateDeltas ?? 0,
      get thinkMs() {
        return thinkMs();
      },
      record: (list, r) => this.#record(list, r),
      id: (prefix) => `${prefix}_${++this.#ids}`,
      nextTranscript: () => this.#transcripts.shift() ?? "",
      nextResponse: () => this.#responses.shift() ?? defaultResponse,
      spend: (model, tokens) => this.#spend(model, tokens),
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

  #record(list: "received" | "sent", r: RecordedEvent): void {
    const target = list === "received" ? this.received : this.sent;
    target.push(r);
    for (const w of [...this.#waiters]) if (w.list === target && w.match(r)) w.resolve(r);
  }

  #spend(model: string, tokens: number): { limits: RateLimit[]; error: FakeError | null } {
    const budget = this.#rateLimit;
    if (!budget) {
      return {
        limits: [{ name: "tokens", limit: 1e9, remaining: 1e9, reset_seconds: 0 }],
        error: null,
      };
    }
    const now = performance.now();
    if (now - this.#window.start >= budget.windowMs) this.#window = { start: now, used: 0 };
    const { tokensPerMinute: limit } = budget;
    const resetSeconds = Math.max(0, (this.#window.start + budget.windowMs - now) / 1000);
    const used = this.#window.used;
    let error: FakeError | null = null;
    if (used + tokens > limit) {
      // As third parties quote it (the field layout of a real failed response).
      error = {
        type: "tokens",
        code: "rate_limit_exceeded",
        message:
          `Rate limit reached for ${model} in organization org-fake on tokens per min (TPM): ` +
          `Limit ${limit}, Used ${used}, Requested ${tokens}. Please try again in ${
            resetSeconds.toFixed(3)
          }s.`,
      };
    } else {
      this.#window.used += tokens;
    }
    const remaining = Math.max(0, limit - this.#window.used);
    // In practice only the `tokens` entry arrives (openai/openai-agents-js#1022).
    return { limits: [{ name: "tokens", limit, remaining, reset_seconds: resetSeconds }], error };
  }

  #handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/v1/responses") return this.textApi.handle(req);
    if (url.pathname !== "/v1/realtime") return new Response("not found", { status: 404 });
    const keyOk = req.headers.get("authorization") === `Bearer ${this.apiKey}`;
    if (!keyOk && this.#wrongKey === "http") {
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
    const model = url.searchParams.get("model")!;
    const conn = new Connection(this.#host, socket, ++this.#connections, model, this.#maxSessionMs);
    this.#conns.add(conn);
    socket.addEventListener("close", () => this.#conns.delete(conn));
    socket.addEventListener("open", () => {
      if (!keyOk) return conn.refuse(WRONG_KEY);
      if (this.#models && !this.#models.includes(model)) return conn.refuse(unknownModel(model));
      beta ? conn.rejectBeta() : conn.greet();
    });
    return response;
  }
}
