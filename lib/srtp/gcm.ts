/**
 * AES-128-GCM (NIST SP 800-38D) with a 96-bit IV and a 16-byte tag, on
 * buffers laid out as AAD ‖ text ‖ tag — the shape of an SRTP packet under
 * RFC 7714 (header ‖ payload ‖ tag) — so SRTP never splits or joins arrays.
 *
 * The IV is a caller-owned `Int32Array` of three big-endian words, so a
 * caller can build it from packet fields into one preallocated array.
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
  /** Scratch, rewritten by every call: J0 + 1, the text's first counter block. */
  readonly #counter = new Int32Array(4);
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
   * Encrypts `buf[aadEnd…textEnd)` in place under the 96-bit `iv` (three
   * words), authenticating `buf[0…aadEnd)` with it, and writes the tag to
   * `buf[textEnd…textEnd+16)`.
   */
  seal(iv: Int32Array, buf: Uint8Array, aadEnd: number, textEnd: number): void {
    aesCtrXor(this.#aes, this.#textCounter(iv), buf, buf, aadEnd, textEnd);
    const tag = this.#computeTag(iv, buf, aadEnd, textEnd);
    for (let i = 0; i < 4; i++) writeU32(buf, textEnd + 4 * i, tag[i]!);
  }

  /**
   * Verifies the tag `src[textEnd…textEnd+16)` over AAD `src[0…aadEnd)` and
   * ciphertext `src[aadEnd…textEnd)` in constant time. If it matches, writes
   * the plaintext to `dst[aadEnd…textEnd)` (`dst` may be `src`) and returns
   * true; otherwise writes nothing and returns false.
   */
  open(iv: Int32Array, src: Uint8Array, dst: Uint8Array, aadEnd: number, textEnd: number): boolean {
    const expected = this.#computeTag(iv, src, aadEnd, textEnd);
    // OR of all differences, no early exit: the time does not depend on where a forged tag differs.
    let diff = 0;
    for (let i = 0; i < 4; i++) diff |= expected[i]! ^ readU32(src, textEnd + 4 * i);
    if (diff !== 0) return false;
    aesCtrXor(this.#aes, this.#textCounter(iv), src, dst, aadEnd, textEnd);
    return true;
  }

  /** J0 + 1 = IV ‖ 2: J0 = IV ‖ 1 masks the tag, the text starts at the next block. */
  #textCounter(iv: Int32Array): Int32Array {
    const c = this.#counter;
    c[0] = iv[0]!;
    c[1] = iv[1]!;
    c[2] = iv[2]!;
    c[3] = 2;
    return c;
  }

  /** GHASH(AAD, ciphertext) ⊕ AES_K(J0), in `#tag`. */
  #computeTag(iv: Int32Array, buf: Uint8Array, aadEnd: number, textEnd: number): Int32Array {
    const g = this.#ghash;
    const tag = this.#tag;
    const mask = this.#mask;
    g.reset();
    g.update(buf, 0, aadEnd);
    g.update(buf, aadEnd, textEnd);
    g.finish(aadEnd, textEnd - aadEnd, tag);
    this.#aes.encryptWords(iv[0]!, iv[1]!, iv[2]!, 1, mask);
    for (let i = 0; i < 4; i++) tag[i] = tag[i]! ^ mask[i]!;
    return tag;
  }
}
