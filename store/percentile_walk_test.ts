import assert from "node:assert/strict";
import { planWalk, type Walk, walkResult } from "./percentile_walk.ts";

/** PostgreSQL's percentile_cont over `values`, as its source computes it. */
function percentileCont(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const row = 1 + q * (sorted.length - 1);
  const first = Math.floor(row);
  const a = sorted[first - 1]!;
  if (row === first) return a;
  return a + (sorted[first]! - a) * (row - first);
}

/** What the index walk would read from `values`: `limit` rows after `offset`, in its order. */
function simulate(walk: Walk, values: number[]): number | null {
  const plan = planWalk(walk);
  const sorted = [...values].sort((a, b) => (plan.descending ? b - a : a - b));
  return walkResult(walk, sorted.slice(plan.offset, plan.offset + plan.limit));
}

Deno.test("percentile walk: reads the rows percentile_cont interpolates, from the nearer end", () => {
  // n = 4, q = 0.5: rows 2 and 3 (1-based), half way.
  assert.deepEqual(planWalk({ column: "turn_p50_ms", phoneNumberId: null, n: 4, q: 0.5 }), {
    descending: false,
    offset: 1,
    limit: 2,
    fraction: 0.5,
  });
  // n = 1000, q = 0.95: row 950.05; from the top, skip 49 rows and read 951 then 950.
  const p95 = planWalk({ column: "turn_p95_ms", phoneNumberId: null, n: 1000, q: 0.95 });
  assert.equal(p95.descending, true);
  assert.equal(p95.offset, 49);
  assert.equal(p95.limit, 2);
  // n = 1: the only value, whatever q.
  assert.deepEqual(planWalk({ column: "turn_p95_ms", phoneNumberId: "1", n: 1, q: 0.95 }), {
    descending: false,
    offset: 0,
    limit: 1,
    fraction: 0,
  });
  assert.equal(walkResult({ column: "turn_p50_ms", phoneNumberId: null, n: 0, q: 0.5 }, []), null);
});

Deno.test("percentile walk: equals percentile_cont on 2,000 random groups", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    const n = 1 + Math.floor(random() * 60);
    // Integers repeat: ties must not matter.
    const values = Array.from({ length: n }, () => Math.floor(random() * 50) * 10 + random());
    for (const q of [0.5, 0.95]) {
      const walk: Walk = { column: "turn_p50_ms", phoneNumberId: null, n, q };
      const expected = percentileCont(values, q);
      const got = simulate(walk, values)!;
      assert.ok(Math.abs(got - expected) < 1e-9, `n=${n} q=${q}: ${got} != ${expected}`);
    }
  }
});
