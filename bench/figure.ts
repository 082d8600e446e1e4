/**
 * Benchmarks print figures, not raw timings: each suite returns the numbers an
 * issue names (samples/s, µs per frame, p99 ms, …) with the target they must meet,
 * and `deno task bench` fails when one misses.
 *
 * @module
 */

/** A measured figure and the target it must meet. */
export interface Figure {
  /** What was measured, e.g. `G.711 µ-law encode`. */
  name: string;
  value: number;
  /** Unit of `value`, e.g. `M samples/s`, `µs/frame`, `ms`. */
  unit: string;
  /** `>=`: at least `target`; `<=`: at most `target`. */
  op: ">=" | "<=";
  target: number;
}

/** A group of figures, e.g. everything about `lib/audio/g711.ts`. */
export interface BenchSuite {
  name: string;
  run(): Promise<Figure[]>;
}

/** True when the figure meets its target. */
export function meets(f: Figure): boolean {
  return f.op === ">=" ? f.value >= f.target : f.value <= f.target;
}

/**
 * Runs `fn` repeatedly for at least `minMs` (after a warm-up) and returns the
 * mean time per call in nanoseconds. `fn` returns a value so the JIT cannot
 * drop the work.
 */
export function timePerCallNs(fn: () => unknown, minMs = 500): number {
  let sink: unknown;
  const warmUntil = performance.now() + Math.min(200, minMs / 2);
  while (performance.now() < warmUntil) sink = fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < 64; i++) sink = fn();
    calls += 64;
    now = performance.now();
  }
  if (sink === Symbol.for("never")) console.log(sink);
  return ((now - start) * 1e6) / calls;
}

/** The p-th percentile (0–100) of `values` by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
