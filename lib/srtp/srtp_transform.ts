/**
 * SRTP packet protection for one direction of one session (RFC 3711 §3.3),
 * for the two profiles WebRTC negotiates: `AES_CM_128_HMAC_SHA1_80`
 * (RFC 3711) and `AEAD_AES_128_GCM` (RFC 7714).
 *
 * A transform holds only session keys, expanded once. Replay protection and
 * rollover-counter tracking belong to the caller, which passes each
 * packet's ROC. Each call allocates only the packet it returns.
 *
 * @module
 */
import { SrtpAesCm } from "./srtp_aes_cm.ts";
import { SrtpAesGcm } from "./srtp_aes_gcm.ts";

/** The SRTP protection profiles implemented. */
export type SrtpProfile = "AES_CM_128_HMAC_SHA1_80" | "AEAD_AES_128_GCM";

/** Session keys (already derived from the master key, RFC 3711 §4.3) for one direction. */
export interface SrtpSessionKeys {
  /** 16-byte session encryption key. */
  key: Uint8Array;
  /** Session salt: 14 bytes for AES-CM, 12 for GCM. */
  salt: Uint8Array;
  /** 20-byte session authentication key (AES-CM only; GCM authenticates with `key`). */
  authKey?: Uint8Array;
}

/** Protects and unprotects SRTP packets of one direction. */
export interface SrtpTransform {
  readonly profile: SrtpProfile;
  /** Bytes the tag adds to each packet: 10 for AES-CM/HMAC-SHA1-80, 16 for GCM. */
  readonly tagLength: number;
  /**
   * Returns `header ‖ E(payload) ‖ tag` for the RTP packet with the given
   * serialized header (≥ 12 bytes; SSRC and sequence number are read from
   * it) and rollover counter. Throws `RangeError` on a header under 12 bytes.
   */
  protectRtp(header: Uint8Array, payload: Uint8Array, roc: number): Uint8Array;
  /**
   * Authenticates `packet` (`header ‖ E(payload) ‖ tag`, the header being
   * its first `headerLength` bytes) under rollover counter `roc`, in
   * constant time, and returns `header ‖ payload`; null when the tag does
   * not match or `headerLength` does not fit the packet. Never throws.
   */
  unprotectRtp(packet: Uint8Array, headerLength: number, roc: number): Uint8Array | null;
}

/**
 * Creates the transform for `profile`. Throws `RangeError` when a key or
 * salt has the wrong length or AES-CM has no 20-byte `authKey`.
 */
export function createSrtpTransform(profile: SrtpProfile, keys: SrtpSessionKeys): SrtpTransform {
  switch (profile) {
    case "AES_CM_128_HMAC_SHA1_80":
      return new SrtpAesCm(keys);
    case "AEAD_AES_128_GCM":
      return new SrtpAesGcm(keys);
  }
}
