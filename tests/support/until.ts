/**
 * Polling for tests that wait on real sockets and timers.
 *
 * @module
 */

/** Resolves once `cond()` holds; rejects naming `what` after `timeoutMs`. */
export async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  pollMs = 20,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
