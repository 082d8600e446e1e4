import assert from "node:assert/strict";
import {
  applyByteMutation,
  BYTE_MUTATIONS,
  type ByteMutation,
  MAX_MUTANT_BYTES,
  mutateBytes,
} from "./mutate_bytes.ts";
import { Rng } from "./rng.ts";

const INPUT = Uint8Array.from({ length: 40 }, (_, i) => i);
const OTHER = new Uint8Array(30).fill(0xee);
const CORPUS = [INPUT, OTHER];

function mutants(seed: number, n = 200): Uint8Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => mutateBytes(rng, INPUT, CORPUS));
}

function apply(kind: ByteMutation, seed: number, input = INPUT): Uint8Array {
  return applyByteMutation(new Rng(seed), kind, input, CORPUS);
}

function bitsDiffering(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    for (let x = a[i]! ^ b[i]!; x; x &= x - 1) n++;
  }
  return n;
}

Deno.test("mutateBytes: deterministic by seed, and never touches its input", () => {
  const copy = INPUT.slice();
  assert.deepEqual(mutants(99), mutants(99));
  assert.notDeepEqual(mutants(99), mutants(100));
  assert.deepEqual(INPUT, copy);
});

Deno.test("mutateBytes: every kind is drawn, and mutants differ from the input", () => {
  const out = mutants(1, 1000);
  assert.ok(out.filter((m) => m.length !== INPUT.length).length > 100, "lengths never change");
  assert.ok(out.filter((m) => m.length === INPUT.length).length > 300, "lengths always change");
  assert.ok(
    out.filter((m) => m.length === INPUT.length && !m.every((v, i) => v === INPUT[i])).length > 200,
  );
  assert.equal(BYTE_MUTATIONS.length, new Set(BYTE_MUTATIONS).size);
});

Deno.test("flip_bit flips exactly one bit", () => {
  for (let seed = 0; seed < 50; seed++) {
    assert.equal(bitsDiffering(apply("flip_bit", seed), INPUT), 1);
  }
});

Deno.test("truncate shortens, extend and insert lengthen, delete shortens", () => {
  for (let seed = 0; seed < 50; seed++) {
    const t = apply("truncate", seed);
    assert.ok(t.length <= INPUT.length);
    assert.deepEqual(t, INPUT.subarray(0, t.length));
    assert.ok(apply("extend", seed).length > INPUT.length);
    assert.ok(apply("insert", seed).length > INPUT.length);
    assert.ok(apply("delete", seed).length < INPUT.length);
    assert.ok(apply("duplicate", seed).length > INPUT.length);
  }
});

Deno.test("interesting values include the length fields a parser reads", () => {
  const words = new Set<number>();
  for (let seed = 0; seed < 400; seed++) {
    const m = apply("interesting16", seed);
    for (let i = 0; i + 1 < m.length; i++) {
      if (m[i] !== INPUT[i] || m[i + 1] !== INPUT[i + 1]) words.add((m[i]! << 8) | m[i + 1]!);
    }
  }
  for (const v of [0xffff, 0x8000, 0xbede, INPUT.length, INPUT.length / 4]) {
    assert.ok(words.has(v), `never wrote ${v.toString(16)}`);
  }
});

Deno.test("splice takes its tail from the corpus", () => {
  const spliced = Array.from({ length: 50 }, (_, seed) => apply("splice", seed));
  assert.ok(spliced.some((m) => m.includes(0xee)));
});

Deno.test("mutations of empty input and the size cap", () => {
  for (const kind of BYTE_MUTATIONS) apply(kind, 3, new Uint8Array(0));
  const big = new Uint8Array(MAX_MUTANT_BYTES);
  const rng = new Rng(4);
  for (let i = 0; i < 300; i++) assert.ok(mutateBytes(rng, big, [big]).length <= MAX_MUTANT_BYTES);
});
