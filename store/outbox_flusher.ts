/**
 * Drains an outbox into the database in the background: every `intervalMs`
 * while the database answers, backing off (doubling, up to `maxDelayMs`)
 * while it does not. The clock is injected so tests step it.
 *
 * @module
 */

/** Timers the flusher uses; default the global ones. */
export interface FlusherTimers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

/** Options of {@link OutboxFlusher}. */
export interface OutboxFlusherOptions {
  /** One pass over the outbox; throws while the database is down. */
  drain: () => Promise<number>;
  /** Pause between passes while all goes well. Default 1000. */
  intervalMs?: number;
  /** Longest pause after failures. Default 30 000. */
  maxDelayMs?: number;
  timers?: FlusherTimers;
  /** Told of each failed pass and the pause before the next. */
  onError?: (error: unknown, retryInMs: number) => void;
}

/** Runs `drain` until closed. */
export class OutboxFlusher {
  readonly #drain: () => Promise<number>;
  readonly #intervalMs: number;
  readonly #maxDelayMs: number;
  readonly #timers: FlusherTimers;
  readonly #onError: (error: unknown, retryInMs: number) => void;
  #delayMs: number;
  #timer: number | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  /** Starts the first pass after `intervalMs`. */
  constructor(options: OutboxFlusherOptions) {
    this.#drain = options.drain;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
      clearTimeout: (id) => clearTimeout(id as unknown as ReturnType<typeof setTimeout>),
    };
    this.#onError = options.onError ?? (() => {});
    this.#delayMs = this.#intervalMs;
    this.#schedule();
  }

  /** The pause before the next pass. */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** Stops: no pass starts after this, and the one running is awaited. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#running = this.#pass().finally(() => this.#running = undefined);
    }, this.#delayMs);
  }

  async #pass(): Promise<void> {
    try {
      await this.#drain();
      this.#delayMs = this.#intervalMs;
    } catch (error) {
      this.#delayMs = Math.min(this.#delayMs * 2, this.#maxDelayMs);
      this.#onError(error, this.#delayMs);
    }
    this.#schedule();
  }
}
