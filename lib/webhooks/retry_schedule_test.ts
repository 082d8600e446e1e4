import assert from "node:assert/strict";
import {
  MAX_ATTEMPTS,
  RETRY_DELAYS_MS,
  RETRY_JITTER,
  retryDelayMs,
  retryWindowMs,
} from "./retry_schedule.ts";

const H = 3_600_000;

Deno.test("retry schedule: first retry within seconds, retries span at least 24 hours, then stop", () => {
  const none = () => 0;
  assert.equal(retryDelayMs(1, none), 5_000);
  assert.deepEqual(
    Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1, none)),
    RETRY_DELAYS_MS,
  );
  // The delays grow: each retry waits longer than the one before.
  for (let i = 1; i < RETRY_DELAYS_MS.length; i++) {
    assert.ok(RETRY_DELAYS_MS[i]! > RETRY_DELAYS_MS[i - 1]!);
  }
  assert.ok(retryWindowMs() >= 24 * H, `${retryWindowMs() / H} h`);
  assert.equal(retryDelayMs(MAX_ATTEMPTS, none), null);
  assert.equal(retryDelayMs(MAX_ATTEMPTS + 5, none), null);
});

Deno.test("retry schedule: jitter adds at most 10 %, Retry-After only lengthens, up to a day", () => {
  assert.equal(
    retryDelayMs(2, () => 0.999_999),
    Math.round(300_000 * (1 + RETRY_JITTER * 0.999_999)),
  );
  assert.ok(retryDelayMs(1, () => 0.999_999)! <= 5_500);
  assert.equal(retryDelayMs(1, () => 0, 60_000), 60_000);
  assert.equal(retryDelayMs(2, () => 0, 1_000), 300_000);
  assert.equal(retryDelayMs(1, () => 0, 100 * H), 24 * H);
});
