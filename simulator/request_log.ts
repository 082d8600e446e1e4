/**
 * Every request a fake service received, in order, with listeners and
 * waiters: tests assert on what the product sent and wait for it.
 *
 * @module
 */

/** One request as the fake received it. */
export interface RecordedRequest {
  /** Fake clock ms. */
  time: number;
  method: string;
  path: string;
  phoneNumberId?: string;
  action?: string;
  callId?: string;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** HTTP status the fake answered with. */
  status: number;
  /** Meta error code when the fake answered with an error envelope. */
  errorCode?: number;
}

type Waiter = {
  matches: (r: RecordedRequest) => boolean;
  resolve: (r: RecordedRequest) => void;
};

/** The requests a fake answered; `Action` names what a request asks for. */
export class RequestLog<Action extends string> {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Set<(r: RecordedRequest) => void>();

  /** The actions requested for `callId`, in order. */
  actionsFor(callId: string): Array<string | undefined> {
    return this.requests.filter((r) => r.callId === callId).map((r) => r.action);
  }

  /** Calls `listener` with every recorded request; returns the unsubscribe function. */
  onRequest(listener: (r: RecordedRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the first request (already recorded or future) of `action` (for `callId`). */
  waitFor(action: Action, callId?: string, timeoutMs = 5000): Promise<RecordedRequest> {
    const matches = (r: RecordedRequest) =>
      r.action === action && (callId === undefined || r.callId === callId);
    const seen = this.requests.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`no ${action} request${callId ? ` for ${callId}` : ""} in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        matches,
        resolve: (r) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(r);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Appends `r` and tells listeners and waiters. */
  record(r: RecordedRequest): void {
    this.requests.push(r);
    for (const listener of this.#listeners) listener(r);
    for (const waiter of [...this.#waiters]) if (waiter.matches(r)) waiter.resolve(r);
  }
}
