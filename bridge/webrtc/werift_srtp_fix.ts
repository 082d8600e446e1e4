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
 * It also adds what werift lacks, replay protection (RFC 3711 §3.3.2,
 * §3.4): each inbound RTP packet's index is checked against its SSRC's
 * replay window before it is authenticated, and recorded once it has
 * been, in a {@linkcode SrtpReceiveState} the media fast path shares; the
 * peer's SRTCP cipher is wrapped in an {@linkcode SrtcpReplayGuard} that
 * does the same with the SRTCP index. A replay fails as werift's own
 * `SrtpAuthenticationError` (an {@linkcode SrtpReplayError}), which werift
 * drops. Neither keeps anything for a packet that has not authenticated.
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
import { ReplayWindow } from "../../lib/srtp/replay_window.ts";
import { SrtpReceiveState } from "../../lib/srtp/srtp_receive_state.ts";
import { writeRtpHeader } from "./werift_rtp_fix.ts";
import type {
  RTCDtlsTransportInternals,
  SrtpCipherInternals,
  SrtpContextInternals,
  SrtpSessionInternals,
} from "./werift_internals.ts";

const AUTH_FAILED = "Failed to authenticate SRTP packet";
/** The AES-CM profile's tag: the 80 bits of HMAC-SHA1, for RTP and RTCP alike. */
const AES_CM_TAG_BYTES = 10;

/** A replayed (or too old) SRTP or SRTCP packet; werift drops it as it drops a forgery. */
export class SrtpReplayError extends SrtpAuthenticationError {
  /** `what` names the packet kind, "SRTP" or "SRTCP". */
  constructor(what: "SRTP" | "SRTCP") {
    super(`Replayed ${what} packet`);
    this.name = "SrtpReplayError";
  }
}

/** werift's RTP cipher interface over a {@linkcode SrtpTransform}. */
export class FastSrtpCipher implements SrtpCipherInternals {
  /** The session's RTP transform, which the media fast path calls directly. */
  readonly transform: SrtpTransform;
  /**
   * Per-SSRC ROC and replay window of the packets this cipher receives,
   * shared by werift's RTP path and the media fast path. It lives with the
   * keys: new keys start a new state.
   */
  readonly inbound = new SrtpReceiveState();
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

  /**
   * `[header ‖ payload, header]`, as werift's `decryptRtp`; throws
   * `SrtpAuthenticationError` to drop a forged packet, {@linkcode SrtpReplayError}
   * a replayed one.
   */
  decryptRtp(cipherText: Buffer, roc: number, header: RtpHeader): [Buffer, RtpHeader] {
    const { ssrc, sequenceNumber } = header;
    if (!this.inbound.admitAt(ssrc, sequenceNumber, roc)) throw new SrtpReplayError("SRTP");
    const plain = this.transform.unprotectRtp(cipherText, header.payloadOffset, roc);
    if (!plain) throw new SrtpAuthenticationError(AUTH_FAILED);
    this.inbound.accept(ssrc, sequenceNumber, roc);
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
 * werift's SRTCP cipher (of the peer's direction) behind a replay check on
 * the SRTCP index (RFC 3711 §3.4), one window per sender SSRC. The index
 * travels in the packet, after the encrypted part: in front of the tag for
 * AES-CM (RFC 3711 §3.4), at the very end for GCM (RFC 7714 §9.1).
 */
export class SrtcpReplayGuard implements SrtpCipherInternals {
  /** SRTCP packets refused, unauthenticated, as replays or too old. */
  replays = 0;
  readonly #cipher: SrtpCipherInternals;
  /** Where the 32-bit `E ‖ SRTCP index` word starts, counted from the packet's end. */
  readonly #indexFromEnd: number;
  readonly #windows = new Map<number, ReplayWindow>();

  /** Guards `cipher`, werift's SRTCP cipher for `profile`. */
  constructor(cipher: SrtpCipherInternals, profile: SrtpProfile) {
    this.#cipher = cipher;
    this.#indexFromEnd = profile === "AEAD_AES_128_GCM" ? 4 : 4 + AES_CM_TAG_BYTES;
  }

  /** Delegated to werift's cipher. */
  encryptRtp(header: RtpHeader, payload: Buffer, roc: number): Buffer {
    return this.#cipher.encryptRtp(header, payload, roc);
  }

  /** Delegated to werift's cipher. */
  decryptRtp(cipherText: Buffer, roc: number, header: RtpHeader): [Buffer, RtpHeader] {
    return this.#cipher.decryptRtp(cipherText, roc, header);
  }

  /** Delegated to werift's cipher. */
  encryptRTCP(rtcp: Buffer, srtcpIndex: number): Buffer {
    return this.#cipher.encryptRTCP(rtcp, srtcpIndex);
  }

  /**
   * werift's `decryptRTCP`, refusing with {@linkcode SrtpReplayError} a
   * packet whose index its sender's window has seen or left behind.
   */
  decryptRTCP(encrypted: Buffer): [Buffer, unknown] {
    const at = encrypted.length - this.#indexFromEnd;
    // Too short to hold an index: werift's cipher rejects it as it always has.
    if (at < 8) return this.#cipher.decryptRTCP(encrypted);
    const ssrc = encrypted.readUInt32BE(4);
    const index = encrypted.readUInt32BE(at) & 0x7fffffff;
    const window = this.#windows.get(ssrc);
    if (window && !window.check(index)) {
      this.replays++;
      throw new SrtpReplayError("SRTCP");
    }
    const opened = this.#cipher.decryptRTCP(encrypted); // throws for a forgery
    if (window) window.accept(index);
    else this.#windows.set(ssrc, acceptedAt(index));
    return opened;
  }
}

function acceptedAt(index: number): ReplayWindow {
  const window = new ReplayWindow();
  window.accept(index);
  return window;
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
 * Puts the inbound SRTCP cipher of a werift `SrtcpSession` behind an
 * {@linkcode SrtcpReplayGuard} (idempotent; unknown profiles keep werift's
 * cipher alone).
 */
export function guardSrtcpReplays(session: SrtpSessionInternals): void {
  const context = session.remoteContext;
  const profile = profileOf(context);
  if (!profile || context.cipher instanceof SrtcpReplayGuard) return;
  context.cipher = new SrtcpReplayGuard(context.cipher, profile);
}

/**
 * Inbound SRTP and SRTCP packets of `dtls` dropped as replays, or as too old
 * for their window, by the cipher and guard this module installs.
 */
export function srtpReplays(dtls: Pick<RTCDtlsTransportInternals, "srtp" | "srtcp">): number {
  const rtp = dtls.srtp?.remoteContext.cipher;
  const rtcp = dtls.srtcp?.remoteContext.cipher;
  return (rtp instanceof FastSrtpCipher ? rtp.inbound.replays : 0) +
    (rtcp instanceof SrtcpReplayGuard ? rtcp.replays : 0);
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
 * Gives every werift DTLS transport's SRTP session {@linkcode FastSrtpCipher}s,
 * and its SRTCP session's inbound cipher an {@linkcode SrtcpReplayGuard}, as
 * soon as werift derives its keys. Installed once, by `installWeriftPatches()`.
 */
export function installWeriftSrtpFix(): void {
  const proto = RTCDtlsTransport.prototype as unknown as RTCDtlsTransportInternals;
  const update = proto.updateSrtpSession;
  proto.updateSrtpSession = function (this: RTCDtlsTransportInternals) {
    update.call(this);
    if (this.srtp) useFastRtpCiphers(this.srtp);
    if (this.srtcp) guardSrtcpReplays(this.srtcp);
  };
}
