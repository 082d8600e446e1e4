/**
 * AES-128-GCM (NIST SP 800-38D) with a 96-bit IV and a 16-byte tag, on
 * buffers laid out as AAD ‖ text ‖ tag — the shape of an SRTP packet under
 * RFC 7714 (header ‖ payload ‖ tag) — so SRTP never splits or joins arrays.
 *
 * The IV is passed as three big-endian words so a caller can build it from
 * packet fields without allocating.
 *
 * @module
 */
import { Aes128, readU32, writeU32 } from "./aes.ts";
import { aesCtrXor } from "./aes_ctr.ts";
import { Ghash } from "./ghash.ts";

/** GCM's tag length in bytes. */
export const GCM_TAG_BYTES = 16;

/** AES-128-GCM under one key, with the hash subkey's table built once. */
export class AesGcm {
  readonly #aes: Aes128;
  readonly #ghash: Ghash;
  readonly #tag = new Int32Array(4);
  readonly #mask = new Int32Array(4);

  /** Expands `key` (16 bytes) and derives the GHASH key H = AES_K(0^128). */
  constructor(key: Uint8Array) {
    this.#aes = new Aes128(key);
    const h = new Uint8Array(16);
    this.#aes.encryptBlock(h, 0, h, 0);
    this.#ghash = new Ghash(h);
  }

  /**
   * Encrypts `buf[aadEnd…textEnd)` in place, authenticating `buf[0…aadEnd)`
   * with it, and writes the tag to `buf[textEnd…textEnd+16)`.
   */
  seal(
    iv0: number,
    iv1: number,
    iv2: number,
    buf: Uint8Array,
    aadEnd: number,
    textEnd: number,
  ): void {
    // The first counter block (J0 = IV ‖ 1) masks the tag; the text starts at J0 + 1.
    aesCtrXor(this.#aes, iv0, iv1, iv2, 2, buf, aadEnd, buf, aadEnd, textEnd - aadEnd);
    const tag = this.#computeTag(iv0, iv1, iv2, buf, aadEnd, textEnd);
    for (let i = 0; i < 4; i++) writeU32(buf, textEnd + 4 * i, tag[i]!);
  }

  /**
   * Verifies the tag `src[textEnd…textEnd+16)` over AAD `src[0…aadEnd)` and
   * ciphertext `src[aadEnd…textEnd)` in constant time. If it matches, writes
   * the plaintext to `dst[aadEnd…textEnd)` (`dst` may be `src`) and returns
   * true; otherwise writes nothing and returns false.
   */
  open(
    iv0: number,
    iv1: number,
    iv2: number,
    src: Uint8Array,
    aadEnd: number,
    textEnd: number,
    dst: Uint8Array,
  ): boolean {
    const expected = this.#computeTag(iv0, iv1, iv2, src, aadEnd, textEnd);
    let diff = 0;
    for (let i = 0; i < 4; i++) diff |= expected[i]! ^ readU32(src, textEnd + 4 * i);
    if (diff !== 0) return false;
    aesCtrXor(this.#aes, iv0, iv1, iv2, 2, src, aadEnd, dst, aadEnd, textEnd - aadEnd);
    return true;
  }

  #computeTag(
    iv0: number,
    iv1: number,
    iv2: number,
    buf: Uint8Array,
    aadEnd: number,
    textEnd: number,
  ): Int32Array {
    const g = this.#ghash;
    const tag = this.#tag;
    const mask = this.#mask;
    g.reset();
    g.update(buf, 0, aadEnd);
    g.update(buf, aadEnd, textEnd);
    g.finish(aadEnd, textEnd - aadEnd, tag);
    this.#aes.encryptWords(iv0, iv1, iv2, 1, mask);
    for (let i = 0; i < 4; i++) tag[i] = tag[i]! ^ mask[i]!;
    return tag;
  }
}
