/**
 * The console's live calls: one PostgreSQL LISTEN per console process
 * (`store/live.ts`), fanned out to every open Live page. Started by the first
 * viewer, so a console nobody watches holds no extra connection; while anyone
 * watches, it tells the bridges so every 10 s (they publish only then).
 *
 * Each viewer gets a {@linkcode LiveSubscription}: a queue that keeps only the
 * newest message per call (a snapshot supersedes the last), bounded; a viewer
 * that falls that far behind is cut off, and its browser reconnects and
 * starts again from the store's list. Messages carry the caller masked, from
 * the call's row, looked up once per call.
 *
 * @module
 */
import { maskPhone, maskPhonesInText, maskUserId } from "../../lib/whatsapp/mask.ts";
import {
  LIVE_CHANNEL,
  LIVE_COMMAND_CHANNEL,
  LIVE_WATCH_CHANNEL,
  type LiveLine,
  liveMessageSchema,
  type LiveSnapshot,
  type LiveStore,
  parsePayload,
} from "../../store/live.ts";
import type { CallRecord, Store } from "../../store/store.ts";
import { consoleLogger } from "./log.ts";

/** A live call as a Live page shows it. */
export interface LiveCallView {
  callId: string;
  /** The caller, masked: number, else user id, else `—`. */
  caller: string;
  /** The record's status (`offered` … `active`), when known. */
  status: string | null;
  /** The bridge session's state, once a bridge has reported. */
  state: string | null;
  agent: string | null;
  /** Epoch ms: when the call came in, and when it was answered. */
  startedAt: number;
  acceptedAt: number | null;
  levels: { caller: number | null; agent: number | null };
  lines: LiveLine[];
}

/** What a viewer is sent. */
export type HubEvent =
  | { kind: "calls"; calls: LiveCallView[] }
  | { kind: "snapshot"; call: LiveCallView }
  | { kind: "ended"; callId: string; reason: string };

/** The store as the hub uses it. */
export type HubStore =
  & Pick<LiveStore, "listen" | "notify" | "listLiveCalls">
  & Pick<Store, "getCall">;

/** Options of {@linkcode LiveHub}. */
export interface LiveHubOptions {
  store: HubStore;
  /** Messages a viewer may have queued (one per call) before it is cut off. @default 200 */
  maxQueue?: number;
  /** How often the bridges are told someone watches. @default 10_000 */
  watchEveryMs?: number;
  /** A quiet stream gets a comment line this often, so proxies keep it open. @default 15_000 */
  heartbeatMs?: number;
}

const log = consoleLogger("live");

/** The caller as the Live page shows them: masked for everyone (a wallboard is seen by all). */
export function maskedCaller(call: CallRecord | null): string {
  if (call === null) return "—";
  const number = call.direction === "business_initiated" ? call.toNumber : call.fromNumber;
  if (number) return maskPhone(number);
  const userId = call.direction === "business_initiated" ? call.toUserId : call.fromUserId;
  return userId ? maskUserId(userId) : "—";
}

/** A call row as the Live page lists it before any bridge reported. */
export function callView(call: CallRecord): LiveCallView {
  return {
    callId: call.callId,
    caller: maskedCaller(call),
    status: call.status,
    state: null,
    agent: null,
    startedAt: (call.offeredAt ?? call.createdAt).getTime(),
    acceptedAt: call.acceptedAt?.getTime() ?? null,
    levels: { caller: null, agent: null },
    lines: [],
  };
}

/** One viewer's queue. */
export class LiveSubscription {
  #queue = new Map<string, HubEvent>();
  #wake: (() => void) | undefined;
  #maxQueue: number;
  #onClose: (s: LiveSubscription) => void;
  /** Why it closed: `disconnect`, `slow`, `shutdown`; undefined while open. */
  closedBecause: string | undefined;

  /** Used by {@linkcode LiveHub.subscribe}. */
  constructor(maxQueue: number, onClose: (s: LiveSubscription) => void) {
    this.#maxQueue = maxQueue;
    this.#onClose = onClose;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.closedBecause !== undefined;
  }

  /** Messages waiting. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Queues `event`, replacing an older one of the same call. */
  push(event: HubEvent): void {
    if (this.closed) return;
    const key = event.kind === "calls"
      ? "\0calls"
      : event.kind === "ended"
      ? event.callId
      : event.call.callId;
    this.#queue.delete(key);
    this.#queue.set(key, event);
    if (this.#queue.size > this.#maxQueue) return this.close("slow");
    this.#wake?.();
  }

  /** Everything queued, oldest first; waits up to `timeoutMs` for something. `[]` when closed or timed out. */
  async next(timeoutMs: number): Promise<HubEvent[]> {
    if (this.#queue.size === 0 && !this.closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    const events = [...this.#queue.values()];
    this.#queue.clear();
    return this.closed ? [] : events;
  }

  /** Stops it; a waiting `next` returns at once. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closedBecause = reason;
    this.#queue.clear();
    this.#wake?.();
    this.#onClose(this);
  }
}

/** See the module doc. */
export class LiveHub {
  readonly #store: HubStore;
  readonly #maxQueue: number;
  readonly #watchEveryMs: number;
  /** See {@linkcode LiveHubOptions.heartbeatMs}. */
  readonly heartbeatMs: number;
  readonly #subs = new Set<LiveSubscription>();
  /** Masked caller and status per call, looked up once while the call is live. */
  readonly #calls = new Map<string, Promise<CallRecord | null>>();
  #listening: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #watchTimer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  /** A hub that has not listened yet. */
  constructor(options: LiveHubOptions) {
    this.#store = options.store;
    this.#maxQueue = options.maxQueue ?? 200;
    this.#watchEveryMs = options.watchEveryMs ?? 10_000;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  /** Viewers connected now. */
  get clientCount(): number {
    return this.#subs.size;
  }

  /**
   * A new viewer: listens first (once per process), then queues the store's
   * list of live calls, so nothing between the two is missed.
   */
  async subscribe(): Promise<LiveSubscription> {
    if (this.#closed) throw new Error("the live hub is closed");
    await this.#listen();
    const sub = new LiveSubscription(this.#maxQueue, (s) => this.#dropped(s));
    this.#subs.add(sub);
    if (this.#subs.size === 1) this.#startWatching();
    const calls = await this.#store.listLiveCalls();
    sub.push({ kind: "calls", calls: calls.map(callView) });
    return sub;
  }

  /** Asks the bridges to end `callId` on behalf of `actor` (a user id); resolves once sent. */
  async endCall(callId: string, actor: string): Promise<void> {
    await this.#store.notify(
      LIVE_COMMAND_CHANNEL,
      JSON.stringify({ action: "end", callId, actor }),
    );
  }

  /** Closes every viewer and stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const sub of [...this.#subs]) sub.close("shutdown");
    clearInterval(this.#watchTimer);
    await this.#listening?.catch(() => {});
    await this.#unlisten?.().catch(() => {});
  }

  #listen(): Promise<void> {
    this.#listening ??= this.#store.listen(LIVE_CHANNEL, (p) => void this.#onPayload(p)).then(
      (unlisten) => {
        this.#unlisten = unlisten;
      },
      (error) => {
        this.#listening = undefined; // the next viewer tries again
        throw error;
      },
    );
    return this.#listening;
  }

  #startWatching(): void {
    const watch = () =>
      this.#store.notify(LIVE_WATCH_CHANNEL, JSON.stringify({ ttlMs: this.#watchEveryMs * 3 }))
        .catch((error) => log.warn("CONSOLE_LIVE_WATCH_FAILED", { error: String(error) }));
    void watch();
    this.#watchTimer = setInterval(watch, this.#watchEveryMs);
  }

  #dropped(sub: LiveSubscription): void {
    this.#subs.delete(sub);
    if (sub.closedBecause === "slow") log.info("CONSOLE_LIVE_VIEWER_DROPPED", { reason: "slow" });
    if (this.#subs.size === 0) {
      clearInterval(this.#watchTimer);
      this.#watchTimer = undefined;
    }
  }

  async #onPayload(payload: string): Promise<void> {
    const message = parsePayload(liveMessageSchema, payload);
    if (message === null) return log.warn("CONSOLE_LIVE_BAD_MESSAGE", { bytes: payload.length });
    if (message.kind === "ended") {
      this.#calls.delete(message.callId);
      return this.#fanOut({ kind: "ended", callId: message.callId, reason: message.reason });
    }
    const snapshots = message.kind === "batch" ? message.snapshots : [message];
    await Promise.all(snapshots.map((s) => this.#onSnapshot(s)));
  }

  async #onSnapshot(message: LiveSnapshot): Promise<void> {
    const call = await this.#call(message.callId);
    this.#fanOut({
      kind: "snapshot",
      call: {
        callId: message.callId,
        caller: maskedCaller(call),
        status: call?.status ?? null,
        state: message.state,
        agent: message.agent,
        startedAt: (call?.offeredAt?.getTime()) ?? message.startedAt,
        acceptedAt: message.acceptedAt ?? call?.acceptedAt?.getTime() ?? null,
        levels: message.levels,
        // Numbers a caller reads out are masked too: everyone sees the wallboard.
        lines: message.lines.map((line) => ({ ...line, text: maskPhonesInText(line.text) })),
      },
    });
  }

  #call(callId: string): Promise<CallRecord | null> {
    let call = this.#calls.get(callId);
    if (call === undefined) {
      call = this.#store.getCall(callId).catch(() => {
        this.#calls.delete(callId); // looked up again with the next snapshot
        return null;
      });
      this.#calls.set(callId, call);
      // A call whose end was missed is not kept for ever.
      if (this.#calls.size > 10_000) this.#calls.delete(this.#calls.keys().next().value!);
    }
    return call;
  }

  #fanOut(event: HubEvent): void {
    for (const sub of this.#subs) sub.push(event);
  }
}
