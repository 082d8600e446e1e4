/**
 * Timers an agent's units (and a call's session, on its scheduler) take by
 * injection, so tests drive time by hand and can check that nothing is left
 * pending once a call is over.
 *
 * @module
 */

/** Whatever the runtime's `setTimeout` returns. */
export type TimerId = ReturnType<typeof setTimeout>;

/** Timer functions, injectable so tests control time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The runtime's own timers. */
export const defaultTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/** Any timer source whose handles are `Id`: {@linkcode Timers}, or a media `Scheduler`. */
export interface TimerSource<Id> {
  setTimeout(fn: () => void, ms: number): Id;
  clearTimeout(id: Id): void;
}

/**
 * Timers owned by one unit: each is forgotten once it fires, and
 * {@linkcode TimerSet.clear} cancels the rest, so none outlives its owner.
 */
export class TimerSet<Id = TimerId> {
  readonly #timers: TimerSource<Id>;
  readonly #pending = new Set<Id>();

  /** Wraps `timers`. */
  constructor(timers: TimerSource<Id>) {
    this.#timers = timers;
  }

  /** Runs `fn` after `ms` unless cleared first. */
  after(ms: number, fn: () => void): Id {
    const id = this.#timers.setTimeout(() => {
      this.#pending.delete(id);
      fn();
    }, ms);
    this.#pending.add(id);
    return id;
  }

  /** Cancels one timer (a no-op for one that fired or is unknown). */
  cancel(id: Id | undefined): void {
    if (id === undefined || !this.#pending.delete(id)) return;
    this.#timers.clearTimeout(id);
  }

  /** Cancels every pending timer. */
  clear(): void {
    for (const id of this.#pending) this.#timers.clearTimeout(id);
    this.#pending.clear();
  }

  /** How many timers are pending. */
  get size(): number {
    return this.#pending.size;
  }
}
