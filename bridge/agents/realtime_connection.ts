/**
 * The OpenAI Realtime socket of one call, kept alive across drops.
 *
 * Choices worth knowing:
 * - {@linkcode RealtimeConnection.open} resolves on `session.updated`, i.e. once
 *   the service accepted our configuration; an `error` answering the
 *   `session.update`, a close, or no answer within `connectTimeoutMs` rejects it.
 * - After a drop it reconnects: the first retry is immediate, the next ones
 *   wait {@linkcode reconnectDelayMs}; a 401/403, close code 4000 or a rejected
 *   `session.update` are fatal at once, since retrying cannot help.
 * - Listeners hang off one `AbortSignal` per socket and timers off a
 *   {@linkcode TimerSet}, so `close()` leaves nothing behind.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { ClientEvent } from "../../lib/realtime/events.ts";
import { type KnownServerEvent, parseServerEvent } from "../../lib/realtime/server_events.ts";
import type { SessionConfig } from "../../lib/realtime/session.ts";
import { type Timers, TimerSet } from "./timers.ts";

/** The part of a `WebSocket` the connection uses; tests pass a fake. */
export interface RealtimeSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: (event: WebSocketEventMap[K]) => void,
    options?: AddEventListenerOptions,
  ): void;
}

/** Opens the Realtime socket; the default sends only `Authorization` (never `OpenAI-Beta`). */
export type WebSocketFactory = (url: string, apiKey: string) => RealtimeSocket;

// Deno's WebSocket takes a non-standard `{ headers }` init (Deno >= 2.5); the
// DOM lib's constructor type only knows subprotocols, hence the cast.
/** Opens a real `WebSocket` with the API key as a bearer token. */
export const defaultWebSocketFactory: WebSocketFactory = (url, key) => {
  const init: { headers: HeadersInit } = { headers: { Authorization: "Bearer " + key } };
  return new WebSocket(url, init as unknown as string[]);
};

/** Where the connection stands. */
export type ConnectionState = "idle" | "connecting" | "ready" | "reconnecting" | "closed";

/** Settings of {@linkcode RealtimeConnection}. */
export interface RealtimeConnectionOptions {
  url: string;
  model: string;
  apiKey: string;
  webSocketFactory: WebSocketFactory;
  /** Epoch ms. */
  clock: () => number;
  timers: Timers;
  /** Per connection attempt, until `session.updated`. */
  connectTimeoutMs: number;
  /** See {@linkcode reconnectDelayMs}. */
  reconnectWithinMs: number;
  /** Attempts after a drop before giving up. */
  maxReconnectAttempts: number;
  logger: Logger;
}

/** What the connection tells its owner. */
export interface ConnectionHandlers {
  /** The `session.update` payload, sent first on every socket. */
  session(): SessionConfig;
  /** A new socket after a drop was configured: re-send the conversation so far. */
  onReopen(): void;
  /** A server event the handshake did not consume. */
  onEvent(event: KnownServerEvent): void;
  /** The live socket dropped: everything tied to its session is gone. */
  onDrop(): void;
  /** Back after a drop, on the `attempt`-th try, `downMs` after it. */
  onReconnected(attempt: number, downMs: number): void;
  /** Given up; the connection is closed. */
  onFatal(message: string): void;
}

/**
 * How long reconnect `attempt` (1-based) waits first: the first is immediate,
 * then `withinMs / 4`, `withinMs`, `4 * withinMs`, ... so that the first three
 * fit in `1.25 * withinMs`.
 */
export function reconnectDelayMs(attempt: number, withinMs: number): number {
  return attempt <= 1 ? 0 : withinMs * 4 ** (attempt - 3);
}

/** Why a connection attempt failed, and whether retrying can help. */
export class ConnectError extends Error {
  /** `fatal`: retrying cannot help (bad key, refused configuration, closed). */
  constructor(message: string, readonly fatal: boolean) {
    super(message);
    this.name = "ConnectError";
  }
}

/** One call's Realtime socket, its handshake and its reconnects. */
export class RealtimeConnection {
  readonly #opts: RealtimeConnectionOptions;
  readonly #handlers: ConnectionHandlers;
  readonly #timers: TimerSet;
  #state: ConnectionState = "idle";
  #socket: RealtimeSocket | null = null;
  /** Detaches the current socket's listeners. */
  #listeners: AbortController | null = null;
  #generation = 0;
  #seq = 0;
  #abortConnect: ((err: ConnectError) => void) | null = null;
  /** Ends a reconnect backoff early (on close). */
  #wake: (() => void) | null = null;

  /** Nothing connects until {@linkcode open}. */
  constructor(options: RealtimeConnectionOptions, handlers: ConnectionHandlers) {
    this.#opts = options;
    this.#handlers = handlers;
    this.#timers = new TimerSet(options.timers);
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Changes whenever the socket is replaced or closed: work begun on an older one is stale. */
  get generation(): number {
    return this.#generation;
  }

  /** Connects and configures the session; resolves on `session.updated`. */
  async open(): Promise<void> {
    this.#state = "connecting";
    try {
      await this.#attempt(false);
    } catch (e) {
      this.#opts.logger.error("OPENAI_REALTIME_CONNECT_FAILED", { error: String(e) });
      this.#state = "closed";
      throw e;
    }
    if (this.#state !== "connecting") return; // closed or dropped meanwhile
    this.#state = "ready";
    this.#opts.logger.info("OPENAI_REALTIME_CONNECTED", { model: this.#opts.model });
  }

  /** Sends a client event with a fresh `event_id`; returns the id, or null if not open. */
  send(event: ClientEvent): string | null {
    const ws = this.#socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return null;
    const eventId = `evt_${++this.#seq}`;
    ws.send(JSON.stringify({ ...event, event_id: eventId }));
    return eventId;
  }

  /** Closes the socket and cancels connects and retries; resolves once closed. Idempotent. */
  async close(reason: string): Promise<void> {
    if (this.#state === "closed" && !this.#socket) return;
    this.#state = "closed";
    this.#generation++;
    this.#timers.clear();
    this.#wake?.();
    this.#abortConnect?.(new ConnectError(`closed: ${reason}`, true));
    this.#listeners?.abort();
    const ws = this.#socket;
    this.#socket = null;
    if (!ws) return;
    this.#opts.logger.info("OPENAI_REALTIME_CLOSED", { reason });
    if (ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) =>
      ws.addEventListener("close", () => resolve(), { once: true })
    );
    ws.close(1000, "bridge closed");
    await closed;
  }

  #attempt(reconnect: boolean): Promise<void> {
    const { url, model, apiKey, connectTimeoutMs } = this.#opts;
    const sep = url.includes("?") ? "&" : "?";
    const ws = this.#opts.webSocketFactory(
      `${url}${sep}model=${encodeURIComponent(model)}`,
      apiKey,
    );
    const listeners = new AbortController();
    const on = { signal: listeners.signal };
    this.#generation++;
    this.#socket = ws;
    this.#listeners = listeners;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let handshakeError = "";
      let updateId: string | null = null;
      const settle = (err?: ConnectError) => {
        if (settled) return;
        settled = true;
        this.#timers.cancel(timer);
        this.#abortConnect = null;
        if (!err) return resolve();
        listeners.abort();
        reject(err);
        if (ws.readyState !== WebSocket.CLOSED) ws.close(1000, "connect failed");
      };
      const timer = this.#timers.after(
        connectTimeoutMs,
        () => settle(new ConnectError(`no session.updated within ${connectTimeoutMs} ms`, false)),
      );
      this.#abortConnect = settle;
      ws.addEventListener("open", () => {
        updateId = this.send({ type: "session.update", session: this.#handlers.session() });
        if (reconnect) this.#handlers.onReopen();
      }, on);
      ws.addEventListener("error", (e) => {
        handshakeError = e instanceof ErrorEvent ? e.message : "socket error";
      }, on);
      ws.addEventListener("message", (e) => {
        if (typeof e.data !== "string") return;
        const parsed = parseServerEvent(e.data);
        if (!parsed.ok) {
          this.#opts.logger.warn("OPENAI_REALTIME_BAD_EVENT", { error: parsed.error });
          return;
        }
        const event = parsed.event;
        if (event.type === "unknown") return;
        if (!settled && event.type === "error" && event.error.event_id === updateId) {
          return settle(new ConnectError(`session.update rejected: ${event.error.message}`, true));
        }
        if (!settled && event.type === "session.updated") return settle();
        this.#handlers.onEvent(event);
      }, on);
      ws.addEventListener("close", (e) => {
        listeners.abort();
        if (!settled) {
          const auth = /\b40[13]\b/.test(handshakeError);
          const why = handshakeError || `closed ${e.code} ${e.reason}`.trim();
          return settle(new ConnectError(why, auth || e.code === 4000));
        }
        this.#dropped(e.code, e.reason);
      }, on);
    });
  }

  #dropped(code: number, reason: string): void {
    this.#opts.logger.warn("OPENAI_REALTIME_DISCONNECTED", { code, reason });
    this.#socket = null;
    this.#listeners = null;
    this.#handlers.onDrop();
    if (this.#state === "closed") return; // the owner closed us from onDrop
    if (code === 4000) {
      return this.#fatal(`OpenAI Realtime closed the session with 4000: ${reason}`);
    }
    this.#reconnect().catch((e) => {
      this.#opts.logger.error("OPENAI_REALTIME_RECONNECT_CRASHED", { error: String(e) });
    });
  }

  async #reconnect(): Promise<void> {
    this.#state = "reconnecting";
    const { clock, maxReconnectAttempts, reconnectWithinMs, logger } = this.#opts;
    const downAt = clock();
    for (let attempt = 1; attempt <= maxReconnectAttempts; attempt++) {
      const delay = reconnectDelayMs(attempt, reconnectWithinMs);
      if (delay > 0) await this.#sleep(delay);
      if (this.#state !== "reconnecting") return;
      try {
        await this.#attempt(true);
      } catch (e) {
        logger.warn("OPENAI_REALTIME_RECONNECT_FAILED", { attempt, error: String(e) });
        if (this.#state !== "reconnecting") return;
        if (e instanceof ConnectError && e.fatal) return this.#fatal(`reconnect: ${e.message}`);
        continue;
      }
      if (this.#state !== "reconnecting") return;
      this.#state = "ready";
      const downMs = clock() - downAt;
      logger.info("OPENAI_REALTIME_RECONNECTED", { attempt, downMs });
      this.#handlers.onReconnected(attempt, downMs);
      return;
    }
    this.#fatal(`OpenAI Realtime reconnect failed after ${maxReconnectAttempts} attempts`);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#timers.cancel(id);
        this.#wake = null;
        resolve();
      };
      const id = this.#timers.after(ms, wake);
      this.#wake = wake;
    });
  }

  #fatal(message: string): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#timers.clear();
    this.#handlers.onFatal(message);
  }
}
