/**
 * When a webhook that failed is tried again: the Standard Webhooks example
 * schedule (spec, "Deliverability and reliability"): at once, then after
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h, about 75 hours in
 * all, with up to 10 % random jitter so receivers coming back from an outage
 * are not hit by every sender in the same second.
 *
 * @module
 */

const S = 1000, MIN = 60 * S, H = 60 * MIN;

/** Delays before retries 1, 2, …: the first within seconds, the last past 24 h. */
export const RETRY_DELAYS_MS: readonly number[] = [
  5 * S,
  5 * MIN,
  30 * MIN,
  2 * H,
  5 * H,
  10 * H,
  14 * H,
  20 * H,
  24 * H,
];

/** Attempts a message gets in all: the first and one per delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** Share of a delay added at random, at most. */
export const RETRY_JITTER = 0.1;

/**
 * How long to wait after the `attemptsMade`-th attempt failed, or `null` when
 * that was the last. `random` in [0, 1) picks the jitter; a `retryAfterMs`
 * the receiver asked for (`Retry-After`) lengthens the wait, never shortens it.
 */
export function retryDelayMs(
  attemptsMade: number,
  random: () => number = Math.random,
  retryAfterMs = 0,
): number | null {
  const base = RETRY_DELAYS_MS[attemptsMade - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + RETRY_JITTER * random()));
  // A Retry-After beyond a day is not honoured in full: the schedule still ends.
  return Math.max(jittered, Math.min(retryAfterMs, 24 * H));
}

/** The time from the first attempt to the last, without jitter (≈ 75.6 h). */
export function retryWindowMs(): number {
  return RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
}
