/**
 * Wraparound-safe arithmetic on RTP sequence numbers (16-bit) and timestamps
 * (32-bit), and an unwrapper that extends 16-bit sequence numbers into a
 * monotonic counter (RFC 3550 §A.1: cycles counted above the low 16 bits).
 *
 * @module
 */

/**
 * Signed distance `a - b` between two 16-bit sequence numbers, in
 * [-32768, 32767]: positive when `a` comes after `b`, across the 65535→0 wrap.
 */
export function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** True when sequence number `a` comes before `b` (modulo 2^16). */
export function seqLessThan(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/**
 * Signed distance `a - b` between two 32-bit RTP timestamps, in
 * [-2^31, 2^31 - 1]: positive when `a` is later than `b`, across the wrap.
 */
export function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Extends 16-bit sequence numbers into a counter that keeps growing across
 * wraps (safe up to 2^53, i.e. forever at any packet rate). Each sequence
 * number is placed on the side of the highest one seen so far that is within
 * half the sequence space, so reordered packets map to the value they had
 * before the wrap. The extended value always has the input in its low 16 bits
 * (`ext & 0xffff === seq`); the first packet maps to itself, so a packet
 * reordered before the very first one maps to a negative value.
 */
export class SequenceUnwrapper {
  #highest: number | undefined;

  /** The highest extended sequence number seen, or `undefined` before the first. */
  get highest(): number | undefined {
    return this.#highest;
  }

  /** The extended value of `seq` relative to the highest seen, without recording it. */
  extend(seq: number): number {
    const h = this.#highest;
    if (h === undefined) return seq & 0xffff;
    return h + seqDiff(seq, h & 0xffff);
  }

  /** Extends `seq` and records it (raising `highest` when it is newer). */
  unwrap(seq: number): number {
    const ext = this.extend(seq);
    if (this.#highest === undefined || ext > this.#highest) this.#highest = ext;
    return ext;
  }

  /** Forgets all history: the next sequence number maps to itself (sender restart). */
  reset(): void {
    this.#highest = undefined;
  }
}
