import assert from "node:assert/strict";
import { LatencyHistogram } from "./latency_histogram.ts";

Deno.test("LatencyHistogram answers percentiles within one bucket", () => {
  const h = new LatencyHistogram(100, 0.05);
  for (let i = 1; i <= 1000; i++) h.record(i / 100); // 0.01 … 10 ms
  assert.equal(h.count, 1000);
  assert.ok(Math.abs(h.percentile(50) - 5) <= 0.051);
  assert.ok(Math.abs(h.percentile(99) - 9.9) <= 0.051);
  assert.equal(h.percentile(100), 10);
  assert.equal(new LatencyHistogram().percentile(99), 0);
});

Deno.test("LatencyHistogram clamps outliers and merges", () => {
  const a = new LatencyHistogram(10);
  const b = new LatencyHistogram(10);
  a.record(1);
  b.record(500);
  a.merge(b);
  assert.equal(a.count, 2);
  assert.equal(a.max, 500);
  assert.equal(a.percentile(100), 500);
});

Deno.test("LatencyHistogram counts samples at most a bound, for Prometheus buckets", () => {
  const h = new LatencyHistogram(100, 0.05);
  for (const v of [0.01, 0.3, 0.99, 1.0, 4.9, 5.0, 7, 250]) h.record(v);
  assert.equal(h.countAtMost(0.5), 2);
  assert.equal(h.countAtMost(1), 3, "1.0 lands in the bucket above 1 ms");
  assert.equal(h.countAtMost(5), 5);
  assert.equal(h.countAtMost(100), 7, "the overflow bucket is never under a bound");
});
