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

  /** Starts ticking; the first tick runs synchronously, now. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt = this.#scheduler.now();
    this.#next = 0;
    this.#run();
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
    if (!this.#running) return;
    const delay = this.#startedAt + this.#next * this.periodMs - this.#scheduler.now();
    this.#timer = this.#scheduler.setTimeout(this.#run, Math.max(0, delay));
  };
}

/**
 * One drift-free clock for every call of a process: a single timer instead of
 * one per call (50 idle per-call timers cost ~5 % of a core here), and every
 * call's frame goes out in the same pass.
 */
export class SharedFrameClock {
  readonly scheduler: Scheduler;
  #clock: FrameClock;
  #listeners = new Set<(tick: Tick) => void>();

  /** Creates a stopped clock; it runs while it has listeners. */
  constructor(options: FrameClockOptions = {}) {
    this.scheduler = options.scheduler ?? realScheduler;
    this.#clock = new FrameClock((tick) => {
      for (const listener of this.#listeners) {
        // One call's failure must never stop the others' audio.
        try {
          listener(tick);
        } catch (error) {
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }, options);
  }

  /** Listeners currently ticking. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Calls `listener` from the next tick on; returns the function that removes it. */
  join(listener: (tick: Tick) => void): () => void {
    if (!this.#clock.running) this.#clock.start();
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#clock.stop();
    };
  }
}
