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

const keystream = new Int32Array(4);

/**
 * Writes `src[srcStart…srcStart+length)` XOR the keystream of `aes` from the
 * counter block whose big-endian words are `c0…c3` to `dst[dstStart…)`.
 * `src` and `dst` may be the same buffer at the same offset (in place).
 */
export function aesCtrXor(
  aes: Aes128,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  src: Uint8Array,
  srcStart: number,
  dst: Uint8Array,
  dstStart: number,
  length: number,
): void {
  const ks = keystream;
  let s = srcStart;
  let d = dstStart;
  const end = srcStart + length;
  while (s < end) {
    aes.encryptWords(c0, c1, c2, c3, ks);
    c3 = (c3 + 1) | 0;
    if (c3 === 0) {
      c2 = (c2 + 1) | 0;
      if (c2 === 0) {
        c1 = (c1 + 1) | 0;
        if (c1 === 0) c0 = (c0 + 1) | 0;
      }
    }
    if (end - s >= 16) {
      for (let w = 0; w < 4; w++, s += 4, d += 4) {
        const k = ks[w]!;
        dst[d] = src[s]! ^ (k >>> 24);
        dst[d + 1] = src[s + 1]! ^ (k >>> 16);
        dst[d + 2] = src[s + 2]! ^ (k >>> 8);
        dst[d + 3] = src[s + 3]! ^ k;
      }
    } else {
      for (let j = 0; s < end; j++, s++, d++) {
        dst[d] = src[s]! ^ (ks[j >> 2]! >>> (24 - 8 * (j & 3)));
      }
    }
  }
}
