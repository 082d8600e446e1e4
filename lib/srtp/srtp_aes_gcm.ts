/**
 * The `AEAD_AES_128_GCM` SRTP transform (RFC 7714 §8): AES-128-GCM with the
 * RTP header as AAD, the payload as plaintext, a 16-byte tag, and the IV
 * `(0x0000 ‖ SSRC ‖ ROC ‖ SEQ) ⊕ salt`.
 *
 * @module
 */
import { readU32 } from "./aes.ts";
import { AesGcm, GCM_TAG_BYTES } from "./gcm.ts";
import { headerFits, MIN_RTP_HEADER, rtpSequence, rtpSsrc, startPacket } from "./srtp_packet.ts";
import type { SrtpSessionKeys, SrtpTransform } from "./srtp_transform.ts";

/** AEAD_AES_128_GCM for one direction; see {@linkcode SrtpTransform}. */
export class SrtpAesGcm implements SrtpTransform {
  /** The profile this transform implements. */
  readonly profile = "AEAD_AES_128_GCM";
  /** GCM's 128-bit tag, in bytes. */
  readonly tagLength = GCM_TAG_BYTES;
  readonly #gcm: AesGcm;
  readonly #salt0: number;
  readonly #salt1: number;
  readonly #salt2: number;
  /** Per-packet scratch, rewritten by every call (never retained): the packet's IV. */
  readonly #iv = new Int32Array(3);

  /** Expands the session key; throws `RangeError` on a wrong key or salt length. */
  constructor(keys: SrtpSessionKeys) {
    if (keys.salt.length !== 12) {
      throw new RangeError(`GCM session salt must be 12 bytes, got ${keys.salt.length}`);
    }
    this.#gcm = new AesGcm(keys.key);
    this.#salt0 = readU32(keys.salt, 0);
    this.#salt1 = readU32(keys.salt, 4);
    this.#salt2 = readU32(keys.salt, 8);
  }

  /** See {@linkcode SrtpTransform.protectRtp}. */
  protectRtp(header: Uint8Array, payload: Uint8Array, roc: number): Uint8Array {
    const h = header.length;
    if (h < MIN_RTP_HEADER) throw new RangeError(`RTP header must be ≥ 12 bytes, got ${h}`);
    const end = h + payload.length;
    const out = startPacket(end + GCM_TAG_BYTES, header, h, payload);
    this.#gcm.seal(this.#packetIv(header, roc), out, h, end);
    return out;
  }

  /** See {@linkcode SrtpTransform.unprotectRtp}. */
  unprotectRtp(packet: Uint8Array, headerLength: number, roc: number): Uint8Array | null {
    const end = packet.length - GCM_TAG_BYTES;
    if (!headerFits(headerLength, end)) return null;
    const out = startPacket(end, packet, headerLength);
    const ok = this.#gcm.open(this.#packetIv(packet, roc), packet, out, headerLength, end);
    return ok ? out : null;
  }

  /** RFC 7714 §8.1: IV = (0x0000 ‖ SSRC ‖ ROC ‖ SEQ) ⊕ salt, for the packet starting `header`. */
  #packetIv(header: Uint8Array, roc: number): Int32Array {
    const ssrc = rtpSsrc(header);
    const iv = this.#iv;
    iv[0] = this.#salt0 ^ (ssrc >>> 16);
    iv[1] = this.#salt1 ^ ((ssrc << 16) | (roc >>> 16));
    iv[2] = this.#salt2 ^ ((roc << 16) | rtpSequence(header));
    return iv;
  }
}
