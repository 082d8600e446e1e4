import assert from "node:assert/strict";
import { iterationSeed, Rng } from "./rng.ts";

function draws(seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: 50 }, () => rng.below(1000));
}

Deno.test("Rng: the same seed draws the same sequence, another seed another", () => {
  assert.deepEqual(draws(7), draws(7));
  assert.notDeepEqual(draws(7), draws(8));
});

Deno.test("Rng: draws stay in their ranges", () => {
  const rng = new Rng(1);
  for (let i = 0; i < 2000; i++) {
    const b = rng.below(10);
    assert.ok(Number.isInteger(b) && b >= 0 && b < 10);
    const w = rng.between(-3, 3);
    assert.ok(w >= -3 && w <= 3);
    const s = rng.smallSize(100);
    assert.ok(s >= 1 && s <= 100, String(s));
    assert.ok(rng.u32() <= 0xffffffff);
  }
  assert.equal(rng.below(1), 0);
  assert.equal(rng.below(0), 0);
  assert.throws(() => rng.pick([]), RangeError);
});

Deno.test("Rng: smallSize favours small sizes", () => {
  const rng = new Rng(2);
  const sizes = Array.from({ length: 1000 }, () => rng.smallSize(1024));
  assert.ok(sizes.filter((s) => s <= 16).length > 300);
  assert.ok(sizes.some((s) => s > 256));
});

Deno.test("iterationSeed: iteration 0 is the run seed, so a finding reruns alone", () => {
  assert.equal(iterationSeed(123, 0), 123);
  const s = iterationSeed(123, 41);
  assert.equal(iterationSeed(s, 0), s);
  const seeds = new Set(Array.from({ length: 10_000 }, (_, i) => iterationSeed(5, i)));
  assert.equal(seeds.size, 10_000);
  assert.ok([...seeds].every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff));
});
