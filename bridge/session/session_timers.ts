/**
 * A call's timers. Each forgets itself when it fires and `clear()` cancels
 * the rest, so no timer outlives the call that set it.
 *
 * @module
 */
import type { Scheduler, TimerHandle } from "../media/frame_clock.ts";

/** The pending timers of one call, on that call's scheduler. */
export class SessionTimers {
  #scheduler: Scheduler;
  #pending = new Set<TimerHandle>();

  /** Creates an empty set on `scheduler`. */
  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Runs `fn` once after `ms`, unless cleared first. */
  after(ms: number, fn: () => void): void {
    const handle = this.#scheduler.setTimeout(() => {
      this.#pending.delete(handle);
      fn();
    }, ms);
    this.#pending.add(handle);
  }

  /** Cancels every timer not yet fired. */
  clear(): void {
    for (const handle of this.#pending) this.#scheduler.clearTimeout(handle);
    this.#pending.clear();
  }

  /** How many timers are still to fire. */
  get size(): number {
    return this.#pending.size;
  }
}
