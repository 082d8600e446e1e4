/**
 * HMAC-SHA1 (RFC 2104, FIPS 180-4) with the key's inner and outer pad blocks
 * hashed once, so a MAC over a short SRTP packet costs only the packet's own
 * SHA-1 blocks plus one for the outer hash, and allocates nothing.
 *
 * A MAC is computed incrementally — `reset()`, `update(…)`, `finish(…)` — so
 * a caller can authenticate a packet and a trailing counter without joining
 * them into one buffer.
 *
 * @module
 */
import { readU32, writeU32 } from "./aes.ts";

const BLOCK = 64;

/** SHA-1's five state words after absorbing one 64-byte block from `w[0…16)`. */
function compress(state: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let t = 0;
  for (; t < 20; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 40; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 60; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc +
      w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 80; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

const SHA1_INIT = Int32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0);

/** HMAC-SHA1 under one key. Not re-entrant: one MAC at a time per instance. */
export class HmacSha1 {
  /** State after the inner pad block (K ⊕ ipad). */
  readonly #inner = new Int32Array(5);
  /** State after the outer pad block (K ⊕ opad). */
  readonly #outer = new Int32Array(5);
  readonly #state = new Int32Array(5);
  readonly #w = new Int32Array(80);
  /** Bytes of a not yet complete block. */
  readonly #pending = new Uint8Array(BLOCK);
  #pendingLength = 0;
  /** Bytes absorbed so far, the inner pad block included. */
  #length = 0;

  /** Precomputes the pad states for `key` (any length; longer than 64 bytes is hashed first, per RFC 2104). */
  constructor(key: Uint8Array) {
    let k = key;
    if (k.length > BLOCK) {
      this.#state.set(SHA1_INIT);
      this.#length = 0;
      this.#absorb(k, 0, k.length);
      this.#finishHash();
      k = new Uint8Array(20);
      for (let i = 0; i < 5; i++) writeU32(k, 4 * i, this.#state[i]!);
    }
    const pad = new Uint8Array(BLOCK);
    for (const [target, byte] of [[this.#inner, 0x36], [this.#outer, 0x5c]] as const) {
      pad.fill(byte);
      for (let i = 0; i < k.length; i++) pad[i] = k[i]! ^ byte;
      target.set(SHA1_INIT);
      this.#loadBlock(pad, 0);
      compress(target, this.#w);
    }
    this.reset();
  }

  /** Starts a new MAC. */
  reset(): this {
    this.#state.set(this.#inner);
    this.#length = BLOCK;
    this.#pendingLength = 0;
    return this;
  }

  /** Absorbs `data[start…end)`. */
  update(data: Uint8Array, start = 0, end = data.length): this {
    this.#absorb(data, start, end);
    return this;
  }

  /**
   * Writes the first `length` bytes (at most 20) of the MAC to
   * `out[offset…)`. Call `reset()` before the next MAC.
   */
  finish(out: Uint8Array, offset = 0, length = 20): void {
    this.#finishHash();
    // The outer hash is exactly one block: H(inner) ‖ 0x80 ‖ 0… ‖ bit length.
    const state = this.#state;
    const w = this.#w;
    w.set(state);
    state.set(this.#outer);
    w[5] = 0x80000000;
    w.fill(0, 6, 15);
    w[15] = (BLOCK + 20) * 8;
    compress(state, w);
    const n = Math.min(length, 20);
    for (let i = 0; i < n; i++) out[offset + i] = state[i >> 2]! >>> (24 - 8 * (i & 3));
  }

  #absorb(data: Uint8Array, start: number, end: number): void {
    this.#length += end - start;
    let i = start;
    const pending = this.#pending;
    if (this.#pendingLength > 0) {
      let n = this.#pendingLength;
      while (n < BLOCK && i < end) pending[n++] = data[i++]!;
      this.#pendingLength = n;
      if (n < BLOCK) return;
      this.#loadBlock(pending, 0);
      compress(this.#state, this.#w);
      this.#pendingLength = 0;
    }
    for (; i + BLOCK <= end; i += BLOCK) {
      this.#loadBlock(data, i);
      compress(this.#state, this.#w);
    }
    // A byte loop: for these short tails a subarray view costs more than the copy.
    let n = 0;
    while (i < end) pending[n++] = data[i++]!;
    this.#pendingLength = n;
  }

  /** Pads the running hash (FIPS 180-4 §5.1.1); its digest is then the five words of `#state`. */
  #finishHash(): void {
    const pending = this.#pending;
    const bits = this.#length * 8;
    let n = this.#pendingLength;
    pending[n++] = 0x80;
    if (n > BLOCK - 8) {
      pending.fill(0, n);
      this.#loadBlock(pending, 0);
      compress(this.#state, this.#w);
      n = 0;
    }
    pending.fill(0, n, BLOCK - 8);
    writeU32(pending, BLOCK - 8, Math.floor(bits / 0x100000000));
    writeU32(pending, BLOCK - 4, bits);
    this.#loadBlock(pending, 0);
    compress(this.#state, this.#w);
    this.#pendingLength = 0;
  }

  #loadBlock(data: Uint8Array, offset: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) w[i] = readU32(data, offset + 4 * i);
  }
}
