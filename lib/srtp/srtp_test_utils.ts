/**
 * Test utilities for the SRTP property tests: seeded random session keys,
 * RTP headers with CSRCs and header extensions, and packet indexes biased
 * towards the edges (ROC 0 and ≥ 2^31, SEQ next to 0 and 0xffff).
 *
 * @module
 */
import { mulberry32 } from "../../simulator/prng.ts";
import type { SrtpProfile, SrtpSessionKeys } from "./srtp_transform.ts";

/** A seeded source of floats in [0, 1) and of random bytes. */
export interface RandomSource {
  /** The next float in [0, 1). */
  rand(): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/** One packet to protect: keys, serialized header, payload and rollover counter. */
export interface SrtpInput {
  /** The direction's session keys. */
  keys: SrtpSessionKeys;
  /** The serialized RTP header (CSRCs and extension included). */
  header: Uint8Array;
  /** The RTP payload. */
  payload: Uint8Array;
  /** The packet's rollover counter. */
  roc: number;
}

/** A {@linkcode RandomSource} seeded with `seed` (mulberry32). */
export function randomSource(seed: number): RandomSource {
  const rand = mulberry32(seed);
  return { rand, bytes: (n) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0) };
}

/** Random session keys of the sizes `profile` takes. */
export function randomKeys(profile: SrtpProfile, { bytes }: RandomSource): SrtpSessionKeys {
  return profile === "AES_CM_128_HMAC_SHA1_80"
    ? { key: bytes(16), salt: bytes(14), authKey: bytes(20) }
    : { key: bytes(16), salt: bytes(12) };
}

/** A random RTP header with 0–15 CSRCs and, half the time, a one-byte-header extension. */
export function randomHeader({ rand, bytes }: RandomSource): Uint8Array {
  const cc = (rand() * 16) | 0;
  const extWords = rand() < 0.5 ? -1 : (rand() * 6) | 0;
  const length = 12 + 4 * cc + (extWords < 0 ? 0 : 4 + 4 * extWords);
  const h = bytes(length);
  h[0] = 0x80 | (extWords < 0 ? 0 : 0x10) | cc;
  if (extWords >= 0) {
    h[12 + 4 * cc] = 0xbe;
    h[13 + 4 * cc] = 0xde;
    h[14 + 4 * cc] = 0;
    h[15 + 4 * cc] = extWords;
  }
  return h;
}

/** A rollover counter: 0, small, anywhere in 32 bits (≥ 2^31 half the time), or the last one. */
function randomRoc(rand: () => number): number {
  const r = rand();
  if (r < 0.25) return 0;
  if (r < 0.5) return 1 + ((rand() * 8) | 0);
  if (r < 0.9) return (rand() * 2 ** 32) >>> 0;
  return 0xffffffff;
}

/** A sequence number: next to 0xffff or 0 a third of the time each, else anywhere. */
function randomSeq(rand: () => number): number {
  const r = rand();
  const near = (rand() * 16) | 0;
  if (r < 1 / 3) return 0xffff - near;
  if (r < 2 / 3) return near;
  return (rand() * 0x10000) | 0;
}

/**
 * `count` random inputs for `profile` from `seed`: the first 20 payloads are
 * 0–19 bytes long (every partial-block tail), the rest up to 1200 bytes.
 */
export function randomSrtpInputs(profile: SrtpProfile, seed: number, count: number): SrtpInput[] {
  const source = randomSource(seed);
  return Array.from({ length: count }, (_, i) => {
    const keys = randomKeys(profile, source);
    const header = randomHeader(source);
    const seq = randomSeq(source.rand);
    header[2] = seq >>> 8;
    header[3] = seq;
    const payload = source.bytes(i < 20 ? i : (source.rand() * 1201) | 0);
    return { keys, header, payload, roc: randomRoc(source.rand) };
  });
}
