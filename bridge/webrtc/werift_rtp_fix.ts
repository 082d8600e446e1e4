/**
 * Why: werift 0.25 reads each bit field of an RTP header through
 * `Number#toString(2)`, a split, an array spread, a slice, a join and a
 * `parseInt`: six string round trips per header. Every received packet is
 * parsed twice (once to check its SRTP tag, once as plain RTP), so at 50 calls
 * this parser made about a quarter of the bridge's garbage (V8's sampling heap
 * profiler), and every young-generation collection pauses the media clock.
 * Here headers without CSRCs or extensions (what a peer sends when, as in our
 * answer, no header extension is negotiated) are parsed with shifts and masks
 * into the same `RtpHeader` werift builds, and written the same way for the
 * packets we send. Any other header, or one too short to hold the fixed 12
 * bytes, still goes to werift's own parser, so its behaviour on unusual and
 * malformed packets is unchanged.
 *
 * Upstream fix: `RtpHeader.deSerialize` reading the fixed header with shifts
 * and masks; with that in werift, this file goes.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { RtpHeader } from "werift";

/** werift's own parser, captured before the fix is installed. */
export const weriftParseRtpHeader: (raw: Buffer) => RtpHeader = RtpHeader.deSerialize;

/** Fixed RTP header length (RFC 3550 §5.1). */
const FIXED_HEADER_BYTES = 12;

/**
 * Parses a header with neither CSRCs nor an extension into the `RtpHeader`
 * werift would build; any other input goes to werift's parser.
 */
export function parseRtpHeader(raw: Buffer): RtpHeader {
  const b0 = raw[0]!;
  // werift reads an extension that runs past the packet byte by byte, rebuilding
  // its list each step: one forged 26-byte packet cost minutes of CPU, before
  // SRTP authentication. Such a header is refused here; werift drops what throws.
  if (extensionOverruns(raw)) throw new RangeError("RTP header extension runs past the packet");
  // CC = 0 and X = 0; anything else keeps werift's handling.
  if (raw.length < FIXED_HEADER_BYTES || (b0 & 0x1f) !== 0) return weriftParseRtpHeader(raw);
  const h = new RtpHeader();
  h.version = b0 >> 6;
  h.padding = (b0 & 0x20) !== 0;
  const b1 = raw[1]!;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = (raw[2]! << 8) | raw[3]!;
  h.timestamp = ((raw[4]! << 24) | (raw[5]! << 16) | (raw[6]! << 8) | raw[7]!) >>> 0;
  h.ssrc = ((raw[8]! << 24) | (raw[9]! << 16) | (raw[10]! << 8) | raw[11]!) >>> 0;
  h.payloadOffset = FIXED_HEADER_BYTES;
  if (h.padding) h.paddingSize = raw[raw.length - 1]!;
  return h;
}

/** True when the header announces an extension longer than the packet holds. */
export function extensionOverruns(raw: Uint8Array): boolean {
  if (raw.length < FIXED_HEADER_BYTES || (raw[0]! & 0x10) === 0) return false;
  const at = FIXED_HEADER_BYTES + 4 * (raw[0]! & 0x0f);
  return at + 4 > raw.length || at + 4 + 4 * ((raw[at + 2]! << 8) | raw[at + 3]!) > raw.length;
}

/**
 * Writes `h` into `out` (12 bytes) when it has neither CSRCs nor extensions,
 * as werift's `serialize` would; returns null for any other header, which
 * werift's serializer handles. Saves werift's fresh zero-filled buffer on every
 * packet we send.
 */
export function writeRtpHeader(h: RtpHeader, out: Uint8Array): Uint8Array | null {
  if (h.csrc.length > 0 || h.extensions.length > 0 || h.extension) return null;
  out[0] = ((h.version & 3) << 6) | (h.padding ? 0x20 : 0);
  out[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out[2] = h.sequenceNumber >>> 8;
  out[3] = h.sequenceNumber;
  writeU32(out, 4, h.timestamp);
  writeU32(out, 8, h.ssrc);
  return out;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/**
 * Makes werift parse every RTP header with {@linkcode parseRtpHeader}.
 * Installed once, by `installWeriftPatches()`.
 */
export function installWeriftRtpFix(): void {
  // werift's callers look the parser up on the class at each call.
  RtpHeader.deSerialize = parseRtpHeader;
}
