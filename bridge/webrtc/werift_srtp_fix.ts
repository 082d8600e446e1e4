/**
 * Why: werift 0.25.2's RTP cipher builds a node:crypto cipher and HMAC for
 * every packet (in Deno, each a Transform stream plus a native resource) and
 * joins Buffers several times: ~20 µs per RTP packet per direction, most of
 * the bridge's CPU at 50 calls. Here, once werift has derived the session
 * keys after the DTLS handshake, the cipher of both RTP contexts (ours and
 * the peer's) is swapped for an adapter over `lib/srtp`'s precomputed
 * transforms (~2 µs) with werift's exact interface: same bytes out, and the
 * same `SrtpAuthenticationError` on a bad packet, which werift catches to
 * drop it. SRTCP (about one packet a second) keeps werift's own cipher.
 *
 * Upstream fix: werift's SRTP contexts keeping their AES key schedule and
 * HMAC state per session instead of per packet; with that, this file goes.
 *
 * @module
 */
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RTCDtlsTransport,
  type RtpHeader,
  SrtpAuthenticationError,
} from "werift";
import { Buffer } from "node:buffer";
import {
  createSrtpTransform,
  type SrtpProfile,
  type SrtpTransform,
} from "../../lib/srtp/srtp_transform.ts";
import { writeRtpHeader } from "./werift_rtp_fix.ts";
import type {
  RTCDtlsTransportInternals,
  SrtpCipherInternals,
  SrtpContextInternals,
  SrtpSessionInternals,
} from "./werift_internals.ts";

const AUTH_FAILED = "Failed to authenticate SRTP packet";

/** werift's RTP cipher interface over a {@linkcode SrtpTransform}. */
export class FastSrtpCipher implements SrtpCipherInternals {
  /** The session's RTP transform, which the media fast path calls directly. */
  readonly transform: SrtpTransform;
  readonly #rtcp: SrtpCipherInternals;
  readonly #header = new Uint8Array(12);

  /** Protects RTP with `transform`; RTCP calls go to werift's `rtcp` cipher. */
  constructor(transform: SrtpTransform, rtcp: SrtpCipherInternals) {
    this.transform = transform;
    this.#rtcp = rtcp;
  }

  /** `header ‖ E(payload) ‖ tag`, as werift's `encryptRtp`. */
  encryptRtp(header: RtpHeader, payload: Buffer, roc: number): Buffer {
    // protectRtp copies the header into the packet, so one scratch header serves every call.
    const bytes = writeRtpHeader(header, this.#header) ?? header.serialize(header.serializeSize);
    return toBuffer(this.transform.protectRtp(bytes, payload, roc));
  }

  /** `[header ‖ payload, header]`, as werift's `decryptRtp`; throws `SrtpAuthenticationError` to drop the packet. */
  decryptRtp(cipherText: Buffer, roc: number, header: RtpHeader): [Buffer, RtpHeader] {
    const plain = this.transform.unprotectRtp(cipherText, header.payloadOffset, roc);
    if (!plain) throw new SrtpAuthenticationError(AUTH_FAILED);
    const dst = toBuffer(plain);
    return [dst, withPadding(header, dst)];
  }

  /** Delegated to werift's cipher. */
  encryptRTCP(rtcp: Buffer, srtcpIndex: number): Buffer {
    return this.#rtcp.encryptRTCP(rtcp, srtcpIndex);
  }

  /** Delegated to werift's cipher. */
  decryptRTCP(encrypted: Buffer): [Buffer, unknown] {
    return this.#rtcp.decryptRTCP(encrypted);
  }
}

/**
 * Sets `header.paddingSize` from the decrypted packet, rejecting a padding
 * count the packet cannot hold, as werift's `finalizeSrtpRtpHeader` does.
 */
function withPadding(header: RtpHeader, packet: Buffer): RtpHeader {
  if (!header.padding) {
    header.paddingSize = 0;
    return header;
  }
  const room = packet.length - header.payloadOffset;
  const size = room > 0 ? packet[packet.length - 1]! : 0;
  if (size === 0 || size > room) throw new SrtpAuthenticationError(AUTH_FAILED);
  header.paddingSize = size;
  return header;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function profileOf(context: SrtpContextInternals): SrtpProfile | null {
  switch (context.profile) {
    case ProtectionProfileAes128CmHmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case ProtectionProfileAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
    default:
      return null;
  }
}

function useFastCipher(context: SrtpContextInternals): void {
  if (context.cipher instanceof FastSrtpCipher) return;
  const profile = profileOf(context);
  if (!profile) return;
  const gcm = profile === "AEAD_AES_128_GCM";
  const transform = createSrtpTransform(profile, {
    key: context.srtpSessionKey,
    // werift derives 14 bytes for both profiles; GCM's IV uses the first 12 (RFC 7714 §8.1).
    salt: context.srtpSessionSalt.subarray(0, gcm ? 12 : 14),
    ...(gcm ? {} : { authKey: context.srtpSessionAuthTag }),
  });
  context.cipher = new FastSrtpCipher(transform, context.cipher);
}

/**
 * Swaps the RTP ciphers of both contexts of a werift `SrtpSession` for
 * {@linkcode FastSrtpCipher}s under the same session keys (idempotent;
 * unknown profiles keep werift's cipher).
 */
export function useFastRtpCiphers(session: SrtpSessionInternals): void {
  useFastCipher(session.localContext);
  useFastCipher(session.remoteContext);
}

/**
 * Gives every werift DTLS transport's SRTP session {@linkcode FastSrtpCipher}s
 * as soon as werift derives its keys. Installed once, by `installWeriftPatches()`.
 */
export function installWeriftSrtpFix(): void {
  const proto = RTCDtlsTransport.prototype as unknown as RTCDtlsTransportInternals;
  const update = proto.updateSrtpSession;
  proto.updateSrtpSession = function (this: RTCDtlsTransportInternals) {
    update.call(this);
    if (this.srtp) useFastRtpCiphers(this.srtp);
  };
}
