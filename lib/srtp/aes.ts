/**
 * AES-128 block encryption (FIPS-197), the only direction SRTP needs: both
 * AES-CM and GCM run the cipher forwards to make a keystream.
 *
 * The four round T-tables (SubBytes ∘ ShiftRows ∘ MixColumns per byte) are
 * built once at module load, and each key is expanded once, so a block costs
 * 160 table lookups and no allocation. Table lookups are not constant-time,
 * the usual trade-off of software AES; SRTP's keys live only for one call.
 *
 * @module
 */

const SBOX = new Uint8Array(256);
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
function xtime(a: number): number {
  return ((a << 1) ^ (a & 0x80 ? 0x1b : 0)) & 0xff;
}

function buildTables(): void {
  // Walk the multiplicative group with generator 3 to get each inverse, then
  // apply the affine map (FIPS-197 §5.1.1).
  let p = 1;
  let q = 1;
  do {
    p = p ^ xtime(p); // p *= 3
    q ^= q << 1; // q /= 3
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    const r = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4);
    SBOX[p] = r ^ 0x63;
  } while (p !== 1);
  SBOX[0] = 0x63;
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = xtime(s);
    const t = (s2 << 24) | (s << 16) | (s << 8) | (s2 ^ s);
    T0[i] = t;
    T1[i] = (t >>> 8) | (t << 24);
    T2[i] = (t >>> 16) | (t << 16);
    T3[i] = (t >>> 24) | (t << 8);
  }
}

function rotl8(x: number, n: number): number {
  return ((x << n) | (x >>> (8 - n))) & 0xff;
}

buildTables();

/** AES-128 with its key schedule expanded once. */
export class Aes128 {
  /** The 44 round-key words. */
  readonly #rk: Int32Array;
  readonly #scratch = new Int32Array(4);

  /** Expands `key` (16 bytes); throws `RangeError` on any other length. */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`AES-128 key must be 16 bytes, got ${key.length}`);
    const rk = new Int32Array(44);
    for (let i = 0; i < 4; i++) rk[i] = readU32(key, 4 * i);
    let rcon = 1;
    for (let i = 4; i < 44; i++) {
      let t = rk[i - 1]!;
      if (i % 4 === 0) {
        // SubWord(RotWord(t)) ^ Rcon
        t = (SBOX[(t >>> 16) & 0xff]! << 24) | (SBOX[(t >>> 8) & 0xff]! << 16) |
          (SBOX[t & 0xff]! << 8) | SBOX[t >>> 24]!;
        t ^= rcon << 24;
        rcon = xtime(rcon);
      }
      rk[i] = rk[i - 4]! ^ t;
    }
    this.#rk = rk;
  }

  /**
   * Encrypts the block whose big-endian words are `s0…s3` and writes the
   * result's big-endian words to `out[0…3]` (as signed 32-bit integers).
   */
  encryptWords(s0: number, s1: number, s2: number, s3: number, out: Int32Array): void {
    const rk = this.#rk;
    s0 ^= rk[0]!;
    s1 ^= rk[1]!;
    s2 ^= rk[2]!;
    s3 ^= rk[3]!;
    let k = 4;
    for (let round = 1; round < 10; round++) {
      const t0 = T0[s0 >>> 24]! ^ T1[(s1 >>> 16) & 0xff]! ^ T2[(s2 >>> 8) & 0xff]! ^
        T3[s3 & 0xff]! ^ rk[k]!;
      const t1 = T0[s1 >>> 24]! ^ T1[(s2 >>> 16) & 0xff]! ^ T2[(s3 >>> 8) & 0xff]! ^
        T3[s0 & 0xff]! ^ rk[k + 1]!;
      const t2 = T0[s2 >>> 24]! ^ T1[(s3 >>> 16) & 0xff]! ^ T2[(s0 >>> 8) & 0xff]! ^
        T3[s1 & 0xff]! ^ rk[k + 2]!;
      const t3 = T0[s3 >>> 24]! ^ T1[(s0 >>> 16) & 0xff]! ^ T2[(s1 >>> 8) & 0xff]! ^
        T3[s2 & 0xff]! ^ rk[k + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
      s3 = t3;
      k += 4;
    }
    // The last round has no MixColumns.
    out[0] = ((SBOX[s0 >>> 24]! << 24) | (SBOX[(s1 >>> 16) & 0xff]! << 16) |
      (SBOX[(s2 >>> 8) & 0xff]! << 8) | SBOX[s3 & 0xff]!) ^ rk[40]!;
    out[1] = ((SBOX[s1 >>> 24]! << 24) | (SBOX[(s2 >>> 16) & 0xff]! << 16) |
      (SBOX[(s3 >>> 8) & 0xff]! << 8) | SBOX[s0 & 0xff]!) ^ rk[41]!;
    out[2] = ((SBOX[s2 >>> 24]! << 24) | (SBOX[(s3 >>> 16) & 0xff]! << 16) |
      (SBOX[(s0 >>> 8) & 0xff]! << 8) | SBOX[s1 & 0xff]!) ^ rk[42]!;
    out[3] = ((SBOX[s3 >>> 24]! << 24) | (SBOX[(s0 >>> 16) & 0xff]! << 16) |
      (SBOX[(s1 >>> 8) & 0xff]! << 8) | SBOX[s2 & 0xff]!) ^ rk[43]!;
  }

  /** Encrypts the 16 bytes at `src[srcOffset]` into `dst[dstOffset]` (they may overlap). */
  encryptBlock(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
    const w = this.#scratch;
    this.encryptWords(
      readU32(src, srcOffset),
      readU32(src, srcOffset + 4),
      readU32(src, srcOffset + 8),
      readU32(src, srcOffset + 12),
      w,
    );
    for (let i = 0; i < 4; i++) writeU32(dst, dstOffset + 4 * i, w[i]!);
  }
}

/** Reads the big-endian 32-bit word at `b[i]` (as a signed integer). */
export function readU32(b: Uint8Array, i: number): number {
  return (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
}

/** Writes `v` big-endian at `b[i]`. */
export function writeU32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}
