/**
 * The bridge's sessions: admission (capacity and CPU), lookup, and draining on
 * shutdown. One process holds many calls on one event loop, so admission is
 * what keeps every admitted call's audio smooth.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { type MediaHistograms, newMediaHistograms } from "../media/call_media.ts";
import { realScheduler, SharedFrameClock } from "../media/frame_clock.ts";
import { CallSession, type SessionDeps, type SessionRequest } from "./call_session.ts";

/** Why a new session was refused. */
export class CapacityError extends Error {
  /** `reason`: `max_sessions`, `cpu` or `draining`. */
  constructor(readonly reason: "max_sessions" | "cpu" | "draining") {
    super(`bridge at capacity (${reason})`);
    this.name = "CapacityError";
  }
}

/** A second session for a call that already has one. */
export class DuplicateCallError extends Error {
  /** Carries the existing session. */
  constructor(readonly existing: CallSession) {
    super(`call already has session ${existing.id}`);
    this.name = "DuplicateCallError";
  }
}

/** Options for {@linkcode SessionManager}. */
export interface SessionManagerOptions {
  deps: SessionDeps;
  maxSessions: number;
  /** Refuse new calls above this share of one core (1–100); 0 turns CPU admission off. */
  maxCpuPercent: number;
  /** Current CPU use of this process, percent of one core. */
  cpuPercent: () => number;
}

const log = getLogger(["bridge", "sessions"]);

/** Holds every live session. */
export class SessionManager {
  #opts: SessionManagerOptions;
  #byId = new Map<string, CallSession>();
  #byCall = new Map<string, CallSession>();
  #draining = false;
  /** One 20 ms clock drives every call's media. */
  readonly clock: SharedFrameClock;
  /** Frame timings of every call since start (monotonic, for `/metrics`). */
  readonly histograms: MediaHistograms = newMediaHistograms();
  /** Sessions ever created / refused, for metrics. */
  readonly counters = { created: 0, refused: 0, ended: 0, failedOffers: 0 };

  /** Creates an empty manager. */
  constructor(options: SessionManagerOptions) {
    this.#opts = options;
    this.clock = new SharedFrameClock({ scheduler: options.deps.scheduler ?? realScheduler });
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

  /** Admits and creates a session, or throws CapacityError / DuplicateCallError / OfferRejectedError. */
  async create(req: SessionRequest): Promise<CallSession> {
    const existing = this.#byCall.get(req.callId);
    if (existing) throw new DuplicateCallError(existing);
    const refusal = this.#draining
      ? "draining"
      : this.#byId.size >= this.#opts.maxSessions
      ? "max_sessions"
      : this.#opts.maxCpuPercent > 0 && this.#opts.cpuPercent() > this.#opts.maxCpuPercent
      ? "cpu"
      : undefined;
    if (refusal) {
      this.counters.refused++;
      log.warn("VOICE_BRIDGE_AT_CAPACITY", {
        callId: req.callId,
        reason: refusal,
        live: this.#byId.size,
      });
      throw new CapacityError(refusal);
    }
    let session: CallSession;
    try {
      session = await CallSession.create(req, {
        ...this.#opts.deps,
        histograms: this.histograms,
        clock: this.clock,
      });
    } catch (error) {
      this.counters.failedOffers++;
      throw error;
    }
    this.#byId.set(session.id, session);
    this.#byCall.set(session.callId, session);
    this.counters.created++;
    session.onEnded((s) => {
      this.#byId.delete(s.id);
      if (this.#byCall.get(s.callId) === s) this.#byCall.delete(s.callId);
      this.counters.ended++;
    });
    return session;
  }

  /**
   * Stops admitting calls, waits up to `timeoutMs` for live calls to finish,
   * then ends the rest (telling Meta, so no caller is left on a dead line).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    log.info("VOICE_BRIDGE_DRAINING", { live: this.#byId.size, timeoutMs });
    const deadline = Date.now() + timeoutMs;
    while (this.#byId.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(250, Math.max(1, deadline - Date.now()))));
    }
    await Promise.all(this.list().map((s) => s.end("bridge_shutdown", true)));
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
