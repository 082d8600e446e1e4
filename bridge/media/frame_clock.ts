/**
 * A drift-free 20 ms clock. Each tick is scheduled against the clock's start
 * time (start + n × period), not against the previous tick, so timer lateness
 * never accumulates into the RTP timeline: a late tick is followed by a short
 * one. When the event loop stalls for longer than `maxCatchUp` periods, the
 * clock skips ahead and reports how many ticks it skipped, so the sender can
 * advance its RTP timestamp instead of bursting stale audio.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";

const log = getLogger(["bridge", "media"]);

/** The time source and timer a clock runs on; injected so tests run instantly. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(id: TimerHandle): void;
}

/** Opaque timer id: a number in Deno, an object where Node's typings apply. */
export type TimerHandle = unknown;

/** Wall-clock scheduler over `performance.now()` and the global timers. */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/** What the clock tells each tick. */
export interface Tick {
  /** Tick number since start (0 = the immediate first tick). */
  index: number;
  /** When this tick was due, in scheduler ms. */
  dueAt: number;
  /** How late the tick ran, ms (≥ 0). */
  lateMs: number;
  /** Ticks dropped just before this one because the loop stalled. */
  skipped: number;
}

/** Options for {@linkcode FrameClock}. */
export interface FrameClockOptions {
  /** Period in ms. @default 20 */
  periodMs?: number;
  /** Ticks run back-to-back to catch up after a stall before skipping. @default 3 */
  maxCatchUp?: number;
  scheduler?: Scheduler;
}

/** A periodic, drift-free tick source. */
export class FrameClock {
  readonly periodMs: number;
  #maxCatchUp: number;
  #scheduler: Scheduler;
  #onTick: (tick: Tick) => void;
  #startedAt = 0;
  #next = 0;
  #timer: TimerHandle | undefined;
  #running = false;

  /** Creates a stopped clock that calls `onTick` once per period when started. */
  constructor(onTick: (tick: Tick) => void, options: FrameClockOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    this.#maxCatchUp = options.maxCatchUp ?? 3;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#onTick = onTick;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Starts ticking. Without `alignTo` the first tick runs synchronously, now;
   * with it, ticks fall on the grid `alignTo + n × period`, from the first
   * grid point after now.
   */
  start(alignTo?: number): void {
    if (this.#running) return;
    this.#running = true;
    if (alignTo === undefined) {
      this.#startedAt = this.#scheduler.now();
      this.#next = 0;
      this.#run();
      return;
    }
    this.#startedAt = alignTo;
    this.#next = Math.max(0, Math.floor((this.#scheduler.now() - alignTo) / this.periodMs) + 1);
    this.#schedule();
  }

  /** Stops ticking. Safe to call twice. */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #run = (): void => {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#scheduler.now();
    const elapsedTicks = Math.floor((now - this.#startedAt) / this.periodMs);
    let skipped = 0;
    if (elapsedTicks - this.#next > this.#maxCatchUp) {
      skipped = elapsedTicks - this.#next - this.#maxCatchUp;
      this.#next += skipped;
    }
    while (this.#running && this.#next <= elapsedTicks) {
      const dueAt = this.#startedAt + this.#next * this.periodMs;
      this.#onTick({ index: this.#next, dueAt, lateMs: Math.max(0, now - dueAt), skipped });
      skipped = 0;
      this.#next++;
    }
    if (this.#running) this.#schedule();
  };

  #schedule(): void {
    const delay = this.#startedAt + this.#next * this.periodMs - this.#scheduler.now();
    this.#timer = this.#scheduler.setTimeout(this.#run, Math.max(0, delay));
  }
}

/** Options for {@linkcode SharedFrameClock}. */
export interface SharedFrameClockOptions extends FrameClockOptions {
  /**
   * Groups the calls are spread over, each ticking `period / phases` after the
   * previous one. @default 4
   */
  phases?: number;
}

interface Phase {
  clock: FrameClock;
  listeners: Set<(tick: Tick) => void>;
}

/**
 * The media clock of every call of a process: a few timers instead of one per
 * call (50 idle per-call timers cost ~5 % of a core here). Calls are spread
 * over `phases` groups whose ticks are evenly staggered across the period, so
 * the process sends a quarter of its frames every 5 ms rather than all of them
 * in one burst every 20 ms: each pass is short, a pass delayed by the OS or by
 * inbound work holds back only its group, and the send load is smooth.
 */
export class SharedFrameClock {
  readonly scheduler: Scheduler;
  #phases: Phase[];
  #periodMs: number;
  #epoch: number | undefined;

  /** Creates a stopped clock; each group runs while it has listeners. */
  constructor(options: SharedFrameClockOptions = {}) {
    this.scheduler = options.scheduler ?? realScheduler;
    const clockOptions = { ...options, scheduler: this.scheduler };
    this.#phases = Array.from({ length: Math.max(1, options.phases ?? 4) }, () => {
      const listeners = new Set<(tick: Tick) => void>();
      const clock = new FrameClock((tick) => {
        for (const listener of listeners) {
          // One call's failure must never stop the others' audio, nor end the
          // process: the faulty listener leaves the clock and the fault is logged.
          try {
            listener(tick);
          } catch (error) {
            listeners.delete(listener);
            log.error("MEDIA_CLOCK_LISTENER_FAILED", { error });
            if (listeners.size === 0) clock.stop();
          }
        }
      }, clockOptions);
      return { clock, listeners };
    });
    this.#periodMs = this.#phases[0]!.clock.periodMs;
  }

  /** Listeners currently ticking, over all groups. */
  get size(): number {
    return this.#phases.reduce((n, p) => n + p.listeners.size, 0);
  }

  /** Listeners per group, in phase order. */
  get groupSizes(): number[] {
    return this.#phases.map((p) => p.listeners.size);
  }

  /**
   * Calls `listener` on every tick of the least busy group, from its first
   * tick at least half a period away (the joiner has usually just sent a frame
   * of its own); returns the function that removes it.
   */
  join(listener: (tick: Tick) => void): () => void {
    let index = 0;
    this.#phases.forEach((p, i) => {
      if (p.listeners.size < this.#phases[index]!.listeners.size) index = i;
    });
    const phase = this.#phases[index]!;
    this.#epoch ??= this.scheduler.now();
    if (!phase.clock.running) {
      phase.clock.start(this.#epoch + (index * this.#periodMs) / this.#phases.length);
    }
    const from = this.scheduler.now() + this.#periodMs / 2;
    let joined = false;
    const member = (tick: Tick) => {
      if (!joined) {
        if (tick.dueAt < from) return;
        joined = true;
        // A stall just after joining skips ticks due before `from` too; they were never this
        // listener's, and counting them would push its RTP clock a frame ahead of media time.
        const own = Math.min(tick.skipped, Math.floor((tick.dueAt - from) / this.#periodMs));
        if (own !== tick.skipped) tick = { ...tick, skipped: own };
      }
      listener(tick);
    };
    phase.listeners.add(member);
    return () => {
      phase.listeners.delete(member);
      if (phase.listeners.size === 0) phase.clock.stop();
    };
  }
}
