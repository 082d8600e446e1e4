/**
 * The fuzzers' only source of randomness: mulberry32 from the simulator,
 * with the draws mutations need. Every input is a pure function of its
 * seed, which is what makes a finding reproducible from the seed alone.
 *
 * @module
 */
import { mulberry32 } from "../simulator/prng.ts";

/** Seeded draws: integers, choices, coin flips and bytes. */
export class Rng {
  readonly #next: () => number;

  /** A generator seeded with `seed` (taken as an unsigned 32-bit integer). */
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.#next();
  }

  /** An integer in [0, n); 0 when `n` ≤ 1. */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.#next() * n);
  }

  /** An integer in [lo, hi], both included. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.below(items.length)]!;
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    return Math.floor(this.#next() * 2 ** 32) >>> 0;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.below(256);
    return out;
  }

  /** A size biased to small values: 1, 2, 4, … up to `max`, then uniform below it. */
  smallSize(max: number): number {
    const cap = Math.max(1, Math.min(max, 2 ** this.below(Math.log2(Math.max(1, max)) + 1)));
    return 1 + this.below(cap);
  }
}

/**
 * The seed of iteration `i` of a run seeded with `seed`. Iteration 0 gets
 * `seed` itself, so a run with `--seed <that seed> --iterations 1`
 * regenerates any iteration's input on its own.
 */
export function iterationSeed(seed: number, i: number): number {
  return (seed + Math.imul(i, 0x9e3779b9)) >>> 0;
}
