/**
 * The few RTP header facts SRTP needs (RFC 3550 §5.1): where the SSRC and
 * sequence number are, and whether a claimed header length fits a packet.
 *
 * @module
 */
import { readU32 } from "./aes.ts";
import { allocPacket } from "./packet_pool.ts";

/** Size of the fixed RTP header. */
export const MIN_RTP_HEADER = 12;

/** The SSRC of the RTP header at the start of `packet` (signed 32-bit). */
export function rtpSsrc(packet: Uint8Array): number {
  return readU32(packet, 8);
}

/** The sequence number of the RTP header at the start of `packet`. */
export function rtpSequence(packet: Uint8Array): number {
  return (packet[2]! << 8) | packet[3]!;
}

/** True when `headerLength` is a whole number from 12 to `end`. */
export function headerFits(headerLength: number, end: number): boolean {
  return Number.isInteger(headerLength) && headerLength >= MIN_RTP_HEADER && headerLength <= end;
}

/**
 * A new `length`-byte buffer holding `header`, then `payload` if given: the
 * output of protection (room left for the tag) or of unprotection.
 */
export function startPacket(
  length: number,
  header: Uint8Array,
  headerLength: number,
  payload?: Uint8Array,
): Uint8Array {
  const out = allocPacket(length);
  // Copied byte by byte: a header is a few dozen bytes, less than a subarray view costs.
  for (let i = 0; i < headerLength; i++) out[i] = header[i]!;
  if (payload) out.set(payload, headerLength);
  return out;
}
