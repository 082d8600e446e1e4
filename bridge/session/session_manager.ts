/**
 * The bridge's sessions: admission (capacity and CPU), lookup, and draining on
 * shutdown. One process holds many calls on one event loop, so admission is
 * what keeps every admitted call's audio smooth.
 *
 * @module
 */
import { eventLogger } from "../log.ts";
import { type MediaHistograms, newMediaHistograms } from "../media/call_media.ts";
import { realScheduler, type Scheduler, SharedFrameClock } from "../media/frame_clock.ts";
import type { CallRecordEvent, ManagerLogEvent } from "./call_events.ts";
import { CallSession, OfferRejectedError } from "./call_session.ts";
import type { SessionDeps, SessionRequest } from "./session_deps.ts";

/** Why a new session was refused. */
export class CapacityError extends Error {
  /** `reason`: `max_sessions`, `cpu` or `draining`. */
  constructor(readonly reason: "max_sessions" | "cpu" | "draining") {
    super(`bridge at capacity (${reason})`);
    this.name = "CapacityError";
  }
}

/** A second session for a call that already has one, or is being given one. */
export class DuplicateCallError extends Error {
  /** `sessionId`: the existing session's; undefined while that one is still being created. */
  constructor(readonly sessionId: string | undefined) {
    super(
      `call already has ${
        sessionId === undefined ? "a session being created" : `session ${sessionId}`
      }`,
    );
    this.name = "DuplicateCallError";
  }
}

/**
 * The session's creator gave up (disconnected, passed its deadline, or asked
 * by call id to end it) before the session was ready: it was closed unseen.
 */
export class SessionOrphanedError extends Error {
  /** Creates the error. */
  constructor() {
    super("the session's creator gave up before it was ready");
    this.name = "SessionOrphanedError";
  }
}

/** How long the creator of a session waits for it; past either, the session is not begun. */
export interface CreateOptions {
  /** Aborts when the creator is gone (the HTTP request's signal). */
  signal?: AbortSignal | undefined;
  /** The creator's remaining deadline from now, in ms (on the manager's scheduler). */
  deadlineMs?: number | undefined;
}

/** Options for {@linkcode SessionManager}. */
export interface SessionManagerOptions {
  deps: SessionDeps;
  maxSessions: number;
  /** Refuse new calls above this share of one core (1–100); 0 turns CPU admission off. */
  maxCpuPercent: number;
  /** Current CPU use of this process, percent of one core. */
  cpuPercent: () => number;
  /**
   * How long `drain` waits for the calls it ends to close and tell Meta
   * before it returns anyway. @default 10_000
   */
  drainEndTimeoutMs?: number;
  /**
   * Told each call id once its session has ended and its record is closed
   * (the post-call runner, bridge/post_call/). Must return at once; a throw is
   * swallowed so it never reaches the call path.
   */
  onCallEnded?: ((callId: string) => void) | undefined;
}

const log = eventLogger<ManagerLogEvent>("sessions");

/** Holds every live session. */
export class SessionManager {
  #opts: SessionManagerOptions;
  #byId = new Map<string, CallSession>();
  #byCall = new Map<string, CallSession>();
  /**
   * Calls being created, by call id: reserved before the first await so that
   * admission and the one-session-per-call rule hold under any concurrency.
   */
  #creating = new Map<string, AbortController>();
  #scheduler: Scheduler;
  #draining = false;
  /** Set once `drain` ends the calls left: a call admitted before is ended on arrival. */
  #closing = false;
  #drained: Promise<void> | undefined;
  #emptyWaiters = new Set<() => void>();
  /** One 20 ms clock drives every call's media. */
  readonly clock: SharedFrameClock;
  /** Frame timings of every call since start (monotonic, for `/metrics`). */
  readonly histograms: MediaHistograms = newMediaHistograms();
  /** Sessions ever created / refused, for metrics. */
  readonly counters = { created: 0, refused: 0, ended: 0, failedOffers: 0 };

  /** Creates an empty manager. */
  constructor(options: SessionManagerOptions) {
    this.#opts = options;
    this.#scheduler = options.deps.scheduler ?? realScheduler;
    this.clock = new SharedFrameClock({ scheduler: this.#scheduler });
  }

  /** True once `drain()` started: new sessions get 503. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Live sessions. */
  list(): CallSession[] {
    return [...this.#byId.values()];
  }

  /** A session by id, or undefined. */
  get(id: string): CallSession | undefined {
    return this.#byId.get(id);
  }

  /**
   * Admits and creates a session, or throws CapacityError / DuplicateCallError /
   * OfferRejectedError / SessionOrphanedError.
   */
  async create(req: SessionRequest, options: CreateOptions = {}): Promise<CallSession> {
    this.#admit(req.callId);
    const creation = new AbortController();
    this.#creating.set(req.callId, creation);
    const deadline = options.deadlineMs === undefined
      ? undefined
      : this.#scheduler.setTimeout(() => creation.abort(), options.deadlineMs);
    const gaveUp = options.signal
      ? AbortSignal.any([options.signal, creation.signal])
      : creation.signal;
    let session: CallSession;
    try {
      session = await CallSession.create(req, {
        ...this.#opts.deps,
        histograms: this.histograms,
        clock: this.clock,
      }, gaveUp);
    } catch (error) {
      this.#createFailed(req.callId, error, gaveUp.aborted);
      throw gaveUp.aborted ? new SessionOrphanedError() : error;
    } finally {
      this.#scheduler.clearTimeout(deadline);
      this.#creating.delete(req.callId);
      this.#notifyIfEmpty();
    }
    if (this.#closing) {
      // Admitted before the drain but answered after it ended the others: Meta never
      // accepted it, so the function rejects the call on our 503.
      await this.#end(session, false);
      throw new CapacityError("draining");
    }
    this.#byId.set(session.id, session);
    this.#byCall.set(session.callId, session);
    this.counters.created++;
    session.onEnded((s) => {
      this.#byId.delete(s.id);
      if (this.#byCall.get(s.callId) === s) this.#byCall.delete(s.callId);
      this.counters.ended++;
      this.#notifyIfEmpty();
      try {
        this.#opts.onCallEnded?.(s.callId);
      } catch {
        // The hook's own failures are its to log; the session has ended either way.
      }
    });
    return session;
  }

  /**
   * Ends a call's session quietly, or cancels its creation: the function gave
   * up on the call and has rejected it, so Meta is not told and no end reason
   * is written. Returns the session ended, `"cancelled"`, or undefined when
   * the bridge holds nothing for the call.
   */
  async endCall(callId: string, reason: string): Promise<CallSession | "cancelled" | undefined> {
    const creation = this.#creating.get(callId);
    if (creation) {
      creation.abort();
      return "cancelled";
    }
    const session = this.#byCall.get(callId);
    if (!session) return undefined;
    await session.end(reason, false);
    return session;
  }

  /**
   * Why a new call would be refused now, or undefined; `pending` counts the
   * offers of business-initiated calls not yet sessions, so the bridge never
   * makes Meta ring a user it could not serve. No side effects.
   */
  refusal(pending = 0): CapacityError["reason"] | undefined {
    const live = this.#byId.size + this.#creating.size + pending;
    return this.#draining
      ? "draining"
      : live >= this.#opts.maxSessions
      ? "max_sessions"
      : this.#opts.maxCpuPercent > 0 && this.#opts.cpuPercent() > this.#opts.maxCpuPercent
      ? "cpu"
      : undefined;
  }

  /** Throws if `callId` may not have a session now. Synchronous by design. */
  #admit(callId: string): void {
    const existing = this.#byCall.get(callId);
    if (existing || this.#creating.has(callId)) throw new DuplicateCallError(existing?.id);
    const refusal = this.refusal();
    const live = this.#byId.size + this.#creating.size;
    if (!refusal) return;
    this.counters.refused++;
    log.warn("VOICE_BRIDGE_AT_CAPACITY", { callId, reason: refusal, live });
    throw new CapacityError(refusal);
  }

  #createFailed(callId: string, error: unknown, orphaned: boolean): void {
    if (orphaned) {
      // The function has already rejected the call: say so, and nothing else.
      log.info("VOICE_BRIDGE_SESSION_ORPHANED", { callId });
      const name: CallRecordEvent = "bridge_session_orphaned";
      this.#opts.deps.recorder?.recordEvent({ callId, name, data: {} })
        .catch((e) => log.error("VOICE_BRIDGE_RECORD_FAILED", { callId, error: String(e) }));
      return;
    }
    this.counters.failedOffers++;
    if (error instanceof OfferRejectedError) {
      log.warn("VOICE_BRIDGE_OFFER_REJECTED", { callId, reasons: error.reasons });
    } else {
      log.error("VOICE_BRIDGE_SESSION_CREATE_FAILED", { callId, error: String(error) });
    }
  }

  /**
   * Stops admitting calls, waits up to `timeoutMs` for live calls to finish,
   * then ends the rest, telling Meta about each, so no caller is left on a
   * dead line. Those ends run side by side and get `drainEndTimeoutMs`
   * together: a Graph request that fails or hangs holds up no other call.
   * Runs once; a second call (a second SIGTERM) returns the same promise.
   */
  drain(timeoutMs: number): Promise<void> {
    this.#drained ??= this.#drain(timeoutMs);
    return this.#drained;
  }

  async #drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    log.info("VOICE_BRIDGE_DRAINING", { live: this.#byId.size, timeoutMs });
    await this.#emptyWithin(timeoutMs);
    this.#closing = true;
    const rest = this.list();
    if (rest.length > 0 || this.#creating.size > 0) {
      log.info("VOICE_BRIDGE_DRAIN_ENDING_CALLS", {
        callIds: rest.map((s) => s.callId),
        creating: [...this.#creating.keys()],
      });
      for (const session of rest) void this.#end(session, true);
      // Sessions still being created end on arrival (`#closing`): wait for them too,
      // so the process never closes its store under them.
      const endTimeoutMs = this.#opts.drainEndTimeoutMs ?? 10_000;
      if (!await this.#emptyWithin(endTimeoutMs)) {
        log.warn("VOICE_BRIDGE_DRAIN_INCOMPLETE", {
          callIds: this.list().map((s) => s.callId),
          endTimeoutMs,
        });
      }
    }
    log.info("VOICE_BRIDGE_DRAINED", { endedByDrain: rest.length, live: this.#byId.size });
  }

  #end(session: CallSession, notifyMeta: boolean): Promise<void> {
    return session.end("bridge_shutdown", notifyMeta).catch((error) =>
      log.error("VOICE_BRIDGE_SESSION_END_FAILED", {
        callId: session.callId,
        error: String(error),
      })
    );
  }

  /** Sessions live or still being created: a drain waits for both. */
  get #pending(): number {
    return this.#byId.size + this.#creating.size;
  }

  #notifyIfEmpty(): void {
    if (this.#pending > 0) return;
    for (const resolve of this.#emptyWaiters) resolve();
    this.#emptyWaiters.clear();
  }

  /** Resolves true once nothing is live or being created, or false when `ms` pass first. */
  #emptyWithin(ms: number): Promise<boolean> {
    if (this.#pending === 0 || ms <= 0) return Promise.resolve(this.#pending === 0);
    return new Promise((resolve) => {
      const empty = () => {
        this.#scheduler.clearTimeout(timer);
        resolve(true);
      };
      const timer = this.#scheduler.setTimeout(() => {
        this.#emptyWaiters.delete(empty);
        resolve(false);
      }, ms);
      this.#emptyWaiters.add(empty);
    });
  }
}

/**
 * Samples this process's CPU use (user + system) as a percentage of one core,
 * averaged over the last `intervalMs`. Returns the reader and a stop function.
 */
export function cpuSampler(
  usage: () => { user: number; system: number },
  intervalMs = 1000,
): { read: () => number; stop: () => void } {
  let last = usage();
  let lastAt = performance.now();
  let percent = 0;
  const timer = setInterval(() => {
    const now = usage();
    const at = performance.now();
    const usedMs = (now.user - last.user + now.system - last.system) / 1000;
    percent = (usedMs / (at - lastAt)) * 100;
    last = now;
    lastAt = at;
  }, intervalMs);
  return { read: () => percent, stop: () => clearInterval(timer) };
}
