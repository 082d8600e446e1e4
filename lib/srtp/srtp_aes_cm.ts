/**
 * The `AES_CM_128_HMAC_SHA1_80` SRTP transform (RFC 3711 §4.1.1, §4.2.1):
 * AES-128 in counter mode from the IV `salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16`,
 * then an 80-bit HMAC-SHA1 tag over `header ‖ ciphertext ‖ ROC`.
 *
 * @module
 */
import { Aes128, readU32, writeU32 } from "./aes.ts";
import { aesCtrXor } from "./aes_ctr.ts";
import { HmacSha1 } from "./hmac_sha1.ts";
import { headerFits, MIN_RTP_HEADER, rtpSequence, rtpSsrc, startPacket } from "./srtp_packet.ts";
import type { SrtpSessionKeys, SrtpTransform } from "./srtp_transform.ts";

const TAG = 10;

/** AES-CM + HMAC-SHA1-80 for one direction; see {@linkcode SrtpTransform}. */
export class SrtpAesCm implements SrtpTransform {
  /** The profile this transform implements. */
  readonly profile = "AES_CM_128_HMAC_SHA1_80";
  /** The 80-bit tag, in bytes. */
  readonly tagLength = TAG;
  readonly #aes: Aes128;
  readonly #hmac: HmacSha1;
  /** The 112-bit session salt as the IV's top words (low 16 bits of `#salt3` zero). */
  readonly #salt0: number;
  readonly #salt1: number;
  readonly #salt2: number;
  readonly #salt3: number;
  /** Per-packet scratch, rewritten by every call and never retained: counter block, ROC, tag. */
  readonly #counter = new Int32Array(4);
  readonly #roc = new Uint8Array(4);
  readonly #mac = new Uint8Array(TAG);

  /** Expands the session keys; throws `RangeError` on a wrong key, salt or auth key length. */
  constructor(keys: SrtpSessionKeys) {
    if (keys.salt.length !== 14) {
      throw new RangeError(`AES-CM session salt must be 14 bytes, got ${keys.salt.length}`);
    }
    if (keys.authKey?.length !== 20) {
      throw new RangeError("AES-CM needs a 20-byte session authentication key");
    }
    this.#aes = new Aes128(keys.key);
    this.#hmac = new HmacSha1(keys.authKey);
    this.#salt0 = readU32(keys.salt, 0);
    this.#salt1 = readU32(keys.salt, 4);
    this.#salt2 = readU32(keys.salt, 8);
    this.#salt3 = (keys.salt[12]! << 24) | (keys.salt[13]! << 16);
  }

  /** See {@linkcode SrtpTransform.protectRtp}. */
  protectRtp(header: Uint8Array, payload: Uint8Array, roc: number): Uint8Array {
    const h = header.length;
    if (h < MIN_RTP_HEADER) throw new RangeError(`RTP header must be ≥ 12 bytes, got ${h}`);
    const end = h + payload.length;
    const out = startPacket(end + TAG, header, h, payload);
    aesCtrXor(this.#aes, this.#packetCounter(header, roc), out, out, h, end);
    out.set(this.#sign(out, end, roc), end);
    return out;
  }

  /** See {@linkcode SrtpTransform.unprotectRtp}. */
  unprotectRtp(packet: Uint8Array, headerLength: number, roc: number): Uint8Array | null {
    const end = packet.length - TAG;
    if (!headerFits(headerLength, end)) return null;
    const mac = this.#sign(packet, end, roc);
    // OR of all differences, no early exit: the time does not depend on where a forged tag differs.
    let diff = 0;
    for (let i = 0; i < TAG; i++) diff |= mac[i]! ^ packet[end + i]!;
    if (diff !== 0) return null;
    const out = startPacket(end, packet, headerLength);
    aesCtrXor(this.#aes, this.#packetCounter(packet, roc), packet, out, headerLength, end);
    return out;
  }

  /** RFC 3711 §4.1.1: the IV `salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16` of the packet at `header`. */
  #packetCounter(header: Uint8Array, roc: number): Int32Array {
    const c = this.#counter;
    c[0] = this.#salt0;
    c[1] = this.#salt1 ^ rtpSsrc(header);
    c[2] = this.#salt2 ^ roc;
    c[3] = this.#salt3 ^ (rtpSequence(header) << 16);
    return c;
  }

  /** The 80-bit tag of `packet[0…end) ‖ ROC`, in a scratch array the next call overwrites. */
  #sign(packet: Uint8Array, end: number, roc: number): Uint8Array {
    writeU32(this.#roc, 0, roc);
    this.#hmac.reset().update(packet, 0, end).update(this.#roc).finish(this.#mac, 0, TAG);
    return this.#mac;
  }
}
