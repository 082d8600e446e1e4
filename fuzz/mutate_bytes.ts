/**
 * Byte-level mutations for binary wire formats (RTP, RTCP, RFC 4733, SRTP):
 * the classic AFL "havoc" set. Length fields are where parsers go wrong, so
 * the interesting values include the input's own length in bytes and in
 * 32-bit words, ± 1.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/** Largest input a byte mutation produces (a UDP datagram on a typical path fits). */
export const MAX_MUTANT_BYTES = 4096;

/** The byte mutations, by name (for tests and statistics). */
export type ByteMutation =
  | "flip_bit"
  | "set_byte"
  | "interesting8"
  | "interesting16"
  | "interesting32"
  | "add"
  | "truncate"
  | "extend"
  | "insert"
  | "delete"
  | "duplicate"
  | "splice";

/** Every {@linkcode ByteMutation}, in a fixed order. */
export const BYTE_MUTATIONS: readonly ByteMutation[] = [
  "flip_bit",
  "set_byte",
  "interesting8",
  "interesting16",
  "interesting32",
  "add",
  "truncate",
  "extend",
  "insert",
  "delete",
  "duplicate",
  "splice",
];

const INTERESTING_8 = [
  0,
  1,
  0x0f,
  0x10,
  0x1f,
  0x20,
  0x3f,
  0x40,
  0x7f,
  0x80,
  0x81,
  0xbe,
  0xc0,
  0xff,
];
const INTERESTING_16 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xbede, 0x1000, 0xffff];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** Values a length field could be compared against: the input's size in bytes and words, ± 1. */
function lengths(n: number): number[] {
  const words = n >> 2;
  return [n - 1, n, n + 1, words - 1, words, words + 1].filter((v) => v >= 0);
}

function writeBE(out: Uint8Array, at: number, value: number, size: number): void {
  for (let i = 0; i < size && at + i < out.length; i++) {
    out[at + i] = (value >>> (8 * (size - 1 - i))) & 0xff;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function interesting(rng: Rng, input: Uint8Array, size: 1 | 2 | 4): Uint8Array {
  const out = input.slice();
  if (out.length === 0) return out;
  const table = size === 1 ? INTERESTING_8 : size === 2 ? INTERESTING_16 : INTERESTING_32;
  const value = rng.chance(0.3) ? rng.pick(lengths(input.length)) : rng.pick(table);
  writeBE(out, rng.below(out.length), value, size);
  return out;
}

/** A [start, end) range of `n` bytes, biased to short ones. */
function range(rng: Rng, n: number): [number, number] {
  const start = rng.below(n);
  return [start, Math.min(n, start + rng.smallSize(n - start))];
}

/** Applies one named mutation; returns a new array, `input` is left as it was. */
export function applyByteMutation(
  rng: Rng,
  kind: ByteMutation,
  input: Uint8Array,
  corpus: readonly Uint8Array[],
): Uint8Array {
  const n = input.length;
  switch (kind) {
    case "flip_bit": {
      const out = input.slice();
      if (n > 0) {
        const at = rng.below(n);
        out[at] = out[at]! ^ (1 << rng.below(8));
      }
      return out;
    }
    case "set_byte": {
      const out = input.slice();
      if (n > 0) out[rng.below(n)] = rng.below(256);
      return out;
    }
    case "interesting8":
      return interesting(rng, input, 1);
    case "interesting16":
      return interesting(rng, input, 2);
    case "interesting32":
      return interesting(rng, input, 4);
    case "add": {
      const out = input.slice();
      if (n > 0) {
        const at = rng.below(n);
        out[at] = (out[at]! + rng.between(-16, 16)) & 0xff;
      }
      return out;
    }
    case "truncate":
      return input.slice(0, rng.below(n + 1));
    case "extend":
      return concat(input, rng.chance(0.5) ? rng.bytes(rng.smallSize(64)) : new Uint8Array(4));
    case "insert": {
      const at = rng.below(n + 1);
      return concat(input.subarray(0, at), rng.bytes(rng.smallSize(32)), input.subarray(at));
    }
    case "delete": {
      if (n === 0) return input.slice();
      const [start, end] = range(rng, n);
      return concat(input.subarray(0, start), input.subarray(end));
    }
    case "duplicate": {
      if (n === 0) return input.slice();
      const [start, end] = range(rng, n);
      const at = rng.below(n + 1);
      return concat(input.subarray(0, at), input.subarray(start, end), input.subarray(at));
    }
    case "splice": {
      const other = rng.pick(corpus);
      const cut = rng.below(n + 1);
      return concat(input.subarray(0, cut), other.subarray(rng.below(other.length + 1)));
    }
  }
}

/** One random mutation of `input` (splicing with `corpus`), capped at {@linkcode MAX_MUTANT_BYTES}. */
export function mutateBytes(
  rng: Rng,
  input: Uint8Array,
  corpus: readonly Uint8Array[],
): Uint8Array {
  const out = applyByteMutation(rng, rng.pick(BYTE_MUTATIONS), input, corpus);
  return out.length > MAX_MUTANT_BYTES ? out.subarray(0, MAX_MUTANT_BYTES) : out;
}
