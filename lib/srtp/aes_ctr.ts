/**
 * AES counter mode (NIST SP 800-38A §6.5) applied in place, the keystream of
 * both SRTP profiles: RFC 3711 AES-CM and the CTR half of GCM.
 *
 * The counter is a 128-bit big-endian integer incremented once per block.
 * GCM specifies inc32 (the low word wraps on its own) instead, but the two
 * differ only after 2^32 blocks, past GCM's own limit, so one increment
 * serves both.
 *
 * @module
 */
import type { Aes128 } from "./aes.ts";

/** One keystream block; shared, as calls never interleave (single-threaded) and never keep it. */
const keystream = new Int32Array(4);

/**
 * Writes `src[start…end)` XOR the keystream of `aes` from the counter block
 * `counter` (four big-endian words, left unchanged) to `dst[start…end)`.
 * `dst` may be `src` (in place).
 */
export function aesCtrXor(
  aes: Aes128,
  counter: Int32Array,
  src: Uint8Array,
  dst: Uint8Array,
  start: number,
  end: number,
): void {
  const ks = keystream;
  let c0 = counter[0]!;
  let c1 = counter[1]!;
  let c2 = counter[2]!;
  let c3 = counter[3]!;
  let i = start;
  while (i < end) {
    aes.encryptWords(c0, c1, c2, c3, ks);
    c3 = (c3 + 1) | 0;
    if (c3 === 0) {
      c2 = (c2 + 1) | 0;
      if (c2 === 0) {
        c1 = (c1 + 1) | 0;
        if (c1 === 0) c0 = (c0 + 1) | 0;
      }
    }
    if (end - i >= 16) {
      for (let w = 0; w < 4; w++, i += 4) {
        const k = ks[w]!;
        dst[i] = src[i]! ^ (k >>> 24);
        dst[i + 1] = src[i + 1]! ^ (k >>> 16);
        dst[i + 2] = src[i + 2]! ^ (k >>> 8);
        dst[i + 3] = src[i + 3]! ^ k;
      }
    } else {
      for (let j = 0; i < end; j++, i++) {
        dst[i] = src[i]! ^ (ks[j >> 2]! >>> (24 - 8 * (j & 3)));
      }
    }
  }
}
