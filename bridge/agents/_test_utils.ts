/**
 * Test doubles for the agent units: a hand-driven clock and timers, a player
 * that plays only when told, and an in-memory Realtime socket.
 *
 * @module
 */
import type { AudioOut } from "./agent.ts";
import type { RealtimeSocket } from "./realtime_connection.ts";
import type { TimerId, Timers } from "./timers.ts";

type Json = Record<string, unknown>;

/** Timers and a clock that move only when {@linkcode FakeTimers.advance} says so. */
export class FakeTimers implements Timers {
  #now = 0;
  #seq = 0;
  readonly #due = new Map<TimerId, { at: number; fn: () => void }>();

  /** The fake epoch ms, usable as a `clock`. */
  readonly now = (): number => this.#now;

  /** Schedules `fn` at now + `ms`. */
  setTimeout(fn: () => void, ms: number): TimerId {
    // The runtime's id type differs between Deno and Node typings; any unique value will do.
    const id = ++this.#seq as unknown as TimerId;
    this.#due.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Cancels a timer. */
  clearTimeout(id: TimerId): void {
    this.#due.delete(id);
  }

  /** How many timers are scheduled and not yet fired or cleared. */
  get pending(): number {
    return this.#due.size;
  }

  /** Moves time on by `ms`, firing due timers in order and settling the promises they start. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      // A stable sort keeps timers due at the same time in the order they were set.
      const next = [...this.#due].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.#due.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = end;
  }
}

/** Lets every pending promise callback run (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A player that "plays" 20 ms per tick, so tests decide how much the caller heard. */
export class FakeAudioOut implements AudioOut {
  queue: { tag: string; pcm: Int16Array }[] = [];
  played = new Map<string, number>();
  enqueued = new Map<string, number>();
  flushes = 0;
  /** Queues `pcm` under `tag`. */
  enqueue(pcm: Int16Array, tag: string): void {
    this.queue.push({ tag, pcm });
    this.enqueued.set(tag, (this.enqueued.get(tag) ?? 0) + pcm.length / 24);
  }
  /** Plays `frames` 20 ms frames of the queue. */
  tick(frames = 1): void {
    for (let left = frames * 480; left > 0 && this.queue.length > 0;) {
      const head = this.queue[0]!;
      const n = Math.min(left, head.pcm.length);
      head.pcm = head.pcm.subarray(n);
      left -= n;
      this.played.set(head.tag, this.playedMs(head.tag) + n / 24);
      if (head.pcm.length === 0) this.queue.shift();
    }
  }
  /** Drops the queue; returns ms played of each tag that was still queued. */
  flush(): Map<string, number> {
    this.flushes++;
    const out = new Map<string, number>();
    for (const q of this.queue) out.set(q.tag, this.playedMs(q.tag));
    this.queue = [];
    return out;
  }
  /** Ms of `tag` played so far. */
  playedMs(tag: string): number {
    return this.played.get(tag) ?? 0;
  }
  /** Ms still queued. */
  queuedMs(): number {
    return this.queue.reduce((n, q) => n + q.pcm.length / 24, 0);
  }
}

/**
 * An in-memory Realtime socket: the test plays the server (`open`, `receive`,
 * `drop`) and reads what the client sent. It counts live listeners (removal by
 * `signal` or `once` only) so tests can see none outlives the call.
 */
export class FakeSocket implements RealtimeSocket {
  readyState: number = WebSocket.CONNECTING;
  /** Client frames, parsed. */
  readonly sent: Json[] = [];
  readonly #events = new EventTarget();
  #live = 0;
  #seq = 0;

  /** Listeners still attached. */
  get listeners(): number {
    return this.#live;
  }

  /** Attaches a listener, counting it until its signal aborts or it fires once. */
  addEventListener<K extends keyof WebSocketEventMap>(
    type: K,
    listener: (event: WebSocketEventMap[K]) => void,
    options: AddEventListenerOptions = {},
  ): void {
    if (options.signal?.aborted) return;
    let attached = true;
    const detach = () => {
      if (attached) this.#live--;
      attached = false;
    };
    this.#live++;
    options.signal?.addEventListener("abort", detach, { once: true });
    this.#events.addEventListener(type, (e) => {
      if (options.once) detach();
      listener(e as WebSocketEventMap[K]);
    }, options);
  }

  /** Records a client frame. */
  send(data: string): void {
    if (this.readyState !== WebSocket.OPEN) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data));
  }

  /** Client close: the close event follows in a microtask, as on a real socket. */
  close(code = 1000, reason = ""): void {
    if (this.readyState >= WebSocket.CLOSING) return;
    this.readyState = WebSocket.CLOSING;
    queueMicrotask(() => this.drop(code, reason));
  }

  /** Server side: the handshake completed. */
  open(): void {
    this.readyState = WebSocket.OPEN;
    this.#events.dispatchEvent(new Event("open"));
  }

  /** Server side: sends an event (an `event_id` is added). */
  receive(event: Json): void {
    const data = JSON.stringify({ event_id: `srv_${++this.#seq}`, ...event });
    this.#events.dispatchEvent(new MessageEvent("message", { data }));
  }

  /** Server side: answers `session.update` with `session.updated`. */
  accept(): void {
    this.open();
    this.receive({ type: "session.updated", session: {} });
  }

  /** The socket closes (from either side). */
  drop(code = 1006, reason = ""): void {
    if (this.readyState === WebSocket.CLOSED) return;
    this.readyState = WebSocket.CLOSED;
    this.#events.dispatchEvent(new CloseEvent("close", { code, reason }));
  }

  /** The handshake failed with `message` (e.g. an HTTP 401), then the socket closed. */
  refuse(message: string): void {
    this.#events.dispatchEvent(new ErrorEvent("error", { message }));
    this.drop(1006);
  }

  /** The client frames of one type. */
  sentOf(type: string): Json[] {
    return this.sent.filter((f) => f.type === type);
  }
}
