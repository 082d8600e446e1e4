/**
 * A fixed-bucket latency histogram: O(1) per sample and constant memory, so it
 * can sit on the per-frame hot path of every call and still answer p50/p99.
 *
 * @module
 */

/** Records millisecond durations into 0.05 ms buckets up to `maxMs`. */
export class LatencyHistogram {
  readonly bucketMs: number;
  #buckets: Uint32Array;
  count = 0;
  sum = 0;
  max = 0;

  /** @param maxMs values above this land in the last bucket. @default 100 */
  constructor(maxMs = 100, bucketMs = 0.05) {
    this.bucketMs = bucketMs;
    this.#buckets = new Uint32Array(Math.ceil(maxMs / bucketMs) + 1);
  }

  /** Adds one sample. */
  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    const i = Math.min(this.#buckets.length - 1, Math.floor(v / this.bucketMs));
    this.#buckets[i]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Upper edge of the bucket holding the p-th percentile (0–100); 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i]!;
      if (seen < rank) continue;
      // The last bucket holds every outlier: only `max` describes it.
      return i === this.#buckets.length - 1
        ? this.max
        : Math.min(this.max, (i + 1) * this.bucketMs);
    }
    return this.max;
  }

  /** How many samples were at most `ms` (to the bucket: a bucket counts once its upper edge is ≤ `ms`). */
  countAtMost(ms: number): number {
    const last = Math.min(this.#buckets.length - 1, Math.floor(ms / this.bucketMs + 1e-9) - 1);
    let n = 0;
    for (let i = 0; i <= last; i++) n += this.#buckets[i]!;
    return n;
  }

  /** Merges another histogram with the same bucket layout into this one. */
  merge(other: LatencyHistogram): void {
    const theirs = other.#buckets;
    for (let i = 0; i < this.#buckets.length && i < theirs.length; i++) {
      this.#buckets[i]! += theirs[i]!;
    }
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
  }
}
