/**
 * GHASH, GCM's universal hash (NIST SP 800-38D §6.4), with Shoup's 8-bit
 * tables: per hash key a 4 KiB table of `b·H` for every byte `b`, so a block
 * is 16 table lookups and byte shifts instead of 128 conditional shifts.
 *
 * Blocks are held as four big-endian words in GCM's bit order: the first
 * bit of the first byte is the coefficient of x^0, so multiplying by x is a
 * right shift, reduced by R = 0xE1 ‖ 0^120 (x^128 = x^7 + x^2 + x + 1).
 *
 * @module
 */
import { readU32 } from "./aes.ts";

/**
 * `REDUCE[b]` (already in the top half of the first word): what the byte `b`
 * shifted off the end of a block by a multiplication by x^8 folds back into
 * the first two bytes.
 */
const REDUCE = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  const z = Int32Array.of(0, 0, 0, b);
  for (let i = 0; i < 8; i++) mulX(z, 0, z, 0);
  REDUCE[b] = z[0]!;
}

/** `dst[d…d+4) = src[s…s+4) · x`, words as GCM blocks. */
function mulX(src: Int32Array, s: number, dst: Int32Array, d: number): void {
  const w0 = src[s]!;
  const w1 = src[s + 1]!;
  const w2 = src[s + 2]!;
  const w3 = src[s + 3]!;
  dst[d + 3] = (w3 >>> 1) | (w2 << 31);
  dst[d + 2] = (w2 >>> 1) | (w1 << 31);
  dst[d + 1] = (w1 >>> 1) | (w0 << 31);
  dst[d] = (w0 >>> 1) ^ (w3 & 1 ? 0xe1000000 : 0);
}

/** GHASH under one hash key H: absorbs data, then yields the 128-bit hash. */
export class Ghash {
  /** `table[4b…4b+4)` = the byte `b` (as a block's first byte) times H. */
  readonly #table = new Int32Array(1024);
  /** The running hash Y. */
  readonly #y = new Int32Array(4);

  /** Builds the table for hash key `h` (16 bytes: AES_K(0^128) in GCM). */
  constructor(h: Uint8Array) {
    if (h.length !== 16) throw new RangeError(`GHASH key must be 16 bytes, got ${h.length}`);
    const t = this.#table;
    // 0x80 is x^0, so it maps to H; each lower bit is one more factor of x.
    for (let i = 0; i < 4; i++) t[4 * 0x80 + i] = readU32(h, 4 * i);
    for (let b = 0x40; b >= 1; b >>= 1) mulX(t, 8 * b, t, 4 * b);
    for (let b = 2; b < 256; b <<= 1) {
      for (let j = 1; j < b; j++) {
        for (let i = 0; i < 4; i++) t[4 * (b + j) + i] = t[4 * b + i]! ^ t[4 * j + i]!;
      }
    }
  }

  /** Starts a new hash (Y = 0). */
  reset(): void {
    this.#y.fill(0);
  }

  /**
   * Absorbs `buf[start…end)`, zero-padding a final partial block: GCM pads
   * the AAD and the ciphertext separately, so each is one call.
   */
  update(buf: Uint8Array, start: number, end: number): void {
    const y = this.#y;
    let i = start;
    for (; i + 16 <= end; i += 16) {
      this.#mulH(
        y[0]! ^ readU32(buf, i),
        y[1]! ^ readU32(buf, i + 4),
        y[2]! ^ readU32(buf, i + 8),
        y[3]! ^ readU32(buf, i + 12),
      );
    }
    if (i < end) {
      let x0 = 0, x1 = 0, x2 = 0, x3 = 0;
      for (let j = 0; i < end; i++, j++) {
        const v = buf[i]! << (24 - 8 * (j & 3));
        if (j < 4) x0 |= v;
        else if (j < 8) x1 |= v;
        else if (j < 12) x2 |= v;
        else x3 |= v;
      }
      this.#mulH(y[0]! ^ x0, y[1]! ^ x1, y[2]! ^ x2, y[3]! ^ x3);
    }
  }

  /**
   * Absorbs GCM's length block (`aadBytes` and `textBytes` as 64-bit bit
   * counts) and writes the hash's four big-endian words to `out`.
   */
  finish(aadBytes: number, textBytes: number, out: Int32Array): void {
    const y = this.#y;
    this.#mulH(
      y[0]! ^ Math.floor(aadBytes / 0x20000000),
      y[1]! ^ (aadBytes << 3),
      y[2]! ^ Math.floor(textBytes / 0x20000000),
      y[3]! ^ (textBytes << 3),
    );
    out.set(y);
  }

  /** Y = X · H for the block X = x0…x3. */
  #mulH(x0: number, x1: number, x2: number, x3: number): void {
    const t = this.#table;
    // Horner's rule from the last byte: Z = Z·x^8 + byte·H.
    let p = (x3 & 0xff) << 2;
    let z0 = t[p]!;
    let z1 = t[p + 1]!;
    let z2 = t[p + 2]!;
    let z3 = t[p + 3]!;
    for (let k = 14; k >= 0; k--) {
      const w = k >= 12 ? x3 : k >= 8 ? x2 : k >= 4 ? x1 : x0;
      const r = REDUCE[z3 & 0xff]!;
      z3 = (z3 >>> 8) | (z2 << 24);
      z2 = (z2 >>> 8) | (z1 << 24);
      z1 = (z1 >>> 8) | (z0 << 24);
      z0 = (z0 >>> 8) ^ r;
      p = ((w >>> (24 - 8 * (k & 3))) & 0xff) << 2;
      z0 ^= t[p]!;
      z1 ^= t[p + 1]!;
      z2 ^= t[p + 2]!;
      z3 ^= t[p + 3]!;
    }
    const y = this.#y;
    y[0] = z0;
    y[1] = z1;
    y[2] = z2;
    y[3] = z3;
  }
}
