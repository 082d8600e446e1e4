/**
 * Work that outlives the response. Meta retries a webhook that is not
 * acknowledged quickly, so the function answers first and routes afterwards.
 * On Supabase `EdgeRuntime.waitUntil` keeps the worker alive until that work
 * settles; elsewhere (the local functions server, tests) the tracked set is
 * what shutdown and tests wait on.
 *
 * @module
 */

/** The part of Supabase Edge Runtime's global this module uses. */
export interface EdgeRuntimeApi {
  waitUntil(promise: Promise<unknown>): void;
}

declare global {
  /** Present only inside Supabase Edge Runtime. */
  var EdgeRuntime: EdgeRuntimeApi | undefined;
}

/** Background tasks: handed to `EdgeRuntime.waitUntil` when it exists, and always tracked. */
export class BackgroundTasks {
  readonly #pending = new Set<Promise<void>>();
  readonly #runtime: EdgeRuntimeApi | undefined;
  readonly #onError: (error: unknown) => void;

  /**
   * `onError` receives failures of tasks (they have no caller left to throw
   * to); `runtime` defaults to the global `EdgeRuntime`.
   */
  constructor(
    onError: (error: unknown) => void,
    runtime: EdgeRuntimeApi | undefined = globalThis.EdgeRuntime,
  ) {
    this.#onError = onError;
    this.#runtime = runtime;
  }

  /** Number of tasks still running. */
  get size(): number {
    return this.#pending.size;
  }

  /** Starts `task` without awaiting it. */
  run(task: () => Promise<unknown>): void {
    const tracked = Promise.resolve()
      .then(task)
      .then(() => {}, (error: unknown) => this.#onError(error))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    this.#runtime?.waitUntil(tracked);
  }

  /** Resolves once every task, including ones started meanwhile, has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
