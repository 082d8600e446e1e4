/**
 * A manual scheduler for tests: time moves only when the test advances it.
 *
 * @module
 */
import type { Scheduler, TimerHandle } from "./frame_clock.ts";

/** A {@linkcode Scheduler} whose clock the test drives with `advance()`. */
export class ManualScheduler implements Scheduler {
  #now = 0;
  #nextId = 1;
  #timers = new Map<number, { at: number; fn: () => void }>();

  /** Current time, ms. */
  now(): number {
    return this.#now;
  }

  /** Schedules `fn` at now + ms. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Timers scheduled and not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Cancels a timer. */
  clearTimeout(id: TimerHandle): void {
    this.#timers.delete(id as number);
  }

  /** Moves time forward by `ms`, firing due timers in order (and timers they schedule). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, t] of this.#timers) {
        if (t.at < nextAt) [nextId, nextAt] = [id, t.at];
      }
      if (nextId === undefined || nextAt > end) break;
      const timer = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#now = Math.max(this.#now, timer.at);
      timer.fn();
    }
    this.#now = end;
  }

  /** Jumps time forward without firing timers (a stalled event loop). */
  stall(ms: number): void {
    this.#now += ms;
  }
}
