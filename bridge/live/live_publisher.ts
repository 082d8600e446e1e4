/**
 * Publishes a bridge's calls to the consoles over PostgreSQL NOTIFY
 * (`store/live.ts`): one timer per bridge (default 500 ms), off the 20 ms
 * media tick, snapshots every session while a console has said it is watching
 * ({@linkcode LIVE_WATCH_CHANNEL}), packed several to a NOTIFY, and says
 * `ended` once for each call that
 * left the bridge, watched or not. With nobody watching, a tick only restarts
 * the level windows. A tick whose NOTIFYs have not all returned makes the next
 * one skip, so a slow database never piles up work in the bridge.
 *
 * @module
 */
import { eventLogger } from "../log.ts";
import {
  LIVE_CHANNEL,
  LIVE_WATCH_CHANNEL,
  type LiveStore,
  liveWatchSchema,
  parsePayload,
} from "../../store/live.ts";
import {
  type LiveSession,
  type LiveSource,
  messagePayload,
  packSnapshots,
  SNAPSHOT_MAX_BYTES,
  takeSnapshot,
} from "./live_snapshot.ts";

/** What the live side of a bridge needs from the store. */
export type LiveBus = Pick<LiveStore, "listen" | "notify">;

/** Log events of the live publisher and command listener (`bridge.live`). */
export type LiveLogEvent =
  | "LIVE_UNAVAILABLE"
  | "LIVE_PUBLISH_FAILED"
  | "LIVE_CALL_END_REQUESTED"
  | "LIVE_COMMAND_INVALID";

/** Options of {@linkcode LivePublisher}. */
export interface LivePublisherOptions extends LiveSource {
  bus: LiveBus;
  /** The bridge's sessions now. */
  sessions: () => readonly LiveSession[];
  /** @default 500 */
  intervalMs?: number;
  /** @default Date.now */
  now?: () => number;
}

const log = eventLogger<LiveLogEvent>("bridge", "live");

/** Retry pause when LISTEN could not start (database down at start-up). */
const LISTEN_RETRY_MS = 5000;

/** See the module doc. */
export class LivePublisher {
  readonly #o: LivePublisherOptions;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #watchedUntil = 0;
  #inFlight = 0;
  /** Sessions seen at the last tick, by call id, to notice the ones that left. */
  #seen = new Map<string, LiveSession>();
  #stopped = false;

  /** Creates a stopped publisher. */
  constructor(options: LivePublisherOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** True while a console's last watch notice has not run out. */
  get watched(): boolean {
    return this.#now() < this.#watchedUntil;
  }

  /** Starts the timer and listens for watch notices (retried until it works). */
  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#o.intervalMs ?? 500);
    void this.#listen();
  }

  /** One round: publish what is due. Public for tests. */
  tick(): void {
    const sessions = this.#o.sessions();
    const watched = this.watched && this.#inFlight === 0;
    const now = this.#now();
    const current = new Map<string, LiveSession>();
    const snapshots: string[] = [];
    for (const s of sessions) {
      current.set(s.callId, s);
      if (!watched) {
        restartLevels(s);
        continue;
      }
      const payload = messagePayload(takeSnapshot(s, this.#o, now), SNAPSHOT_MAX_BYTES);
      if (payload !== null) snapshots.push(payload);
    }
    // A few NOTIFYs a round however many calls: each round trip costs the bridge more than its bytes.
    for (const batch of packSnapshots(snapshots)) this.#publish(batch, undefined);
    for (const [callId, s] of this.#seen) {
      if (!current.has(callId)) this.#publishEnded(s, now);
    }
    this.#seen = current;
  }

  /** Stops the timer and the LISTEN, after saying `ended` for every call that left. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#retry);
    const now = this.#now();
    const left = new Set(this.#o.sessions().map((s) => s.callId));
    for (const [callId, s] of this.#seen) if (!left.has(callId)) this.#publishEnded(s, now);
    this.#seen.clear();
    await this.#unlisten?.().catch(() => {});
    // The last NOTIFYs go out before the caller closes the store.
    for (let i = 0; i < 100 && this.#inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
  }

  #publishEnded(s: LiveSession, now: number): void {
    const ended = {
      kind: "ended" as const,
      callId: s.callId,
      bridgeId: this.#o.bridgeId,
      reason: (s.endReason ?? "ended").slice(0, 200),
      at: now,
    };
    this.#publish(messagePayload(ended), s.callId);
  }

  #publish(payload: string | null, callId: string | undefined): void {
    if (payload === null) return;
    this.#inFlight++;
    this.#o.bus.notify(LIVE_CHANNEL, payload)
      .catch((error) => log.warn("LIVE_PUBLISH_FAILED", { callId, error: String(error) }))
      .finally(() => this.#inFlight--);
  }

  async #listen(): Promise<void> {
    try {
      const unlisten = await this.#o.bus.listen(LIVE_WATCH_CHANNEL, (payload) => {
        const watch = parsePayload(liveWatchSchema, payload);
        if (watch) this.#watchedUntil = Math.max(this.#watchedUntil, this.#now() + watch.ttlMs);
      });
      if (this.#stopped) await unlisten();
      else this.#unlisten = unlisten;
    } catch (error) {
      log.warn("LIVE_UNAVAILABLE", {
        what: "watch",
        error: String(error),
        retryMs: LISTEN_RETRY_MS,
      });
      if (!this.#stopped) this.#retry = setTimeout(() => void this.#listen(), LISTEN_RETRY_MS);
    }
  }
}

/** Unwatched, the windows restart anyway: a console that starts watching sees levels of now. */
function restartLevels(s: LiveSession): void {
  s.media.levels.caller.take();
  s.media.levels.agent.take();
}
