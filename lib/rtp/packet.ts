/**
 * RTP packets (RFC 3550 §5.1): parsing and serialization, including header
 * extensions in the RFC 8285 one-byte (`0xBEDE`) and two-byte (`0x100X`) forms,
 * and the RFC 5761 RTP/RTCP demultiplexing test used with `a=rtcp-mux`.
 *
 * Parsing never throws: malformed input yields an {@linkcode RtpParseError}
 * with a stable `code`. Parsed byte fields (`payload`, extension `data`) are
 * views into the input, not copies.
 *
 * @module
 */

/** Size of the fixed RTP header. */
const FIXED_HEADER = 12;
/** RFC 8285 one-byte header extension profile. */
export const ONE_BYTE_PROFILE = 0xbede;
/** RFC 8285 two-byte header extension profile (the low 4 "appbits" are free). */
export const TWO_BYTE_PROFILE = 0x1000;

/** One RFC 8285 header extension element. */
export interface RtpExtensionElement {
  /** Local identifier negotiated with `a=extmap` (1–14 one-byte, 1–255 two-byte). */
  id: number;
  /** Element data; when parsed, a view into the packet bytes. */
  data: Uint8Array;
}

/** The header extension of an RTP packet (RFC 3550 §5.3.1). */
export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field: `0xBEDE`, `0x100X` or anything else. */
  profile: number;
  /**
   * The raw extension body (a multiple of 4 bytes); when parsed, a view into the
   * packet bytes. Serialized as is when `elements` is `null`.
   */
  data: Uint8Array;
  /**
   * RFC 8285 elements in wire order, padding skipped; `null` for other profiles.
   * When non-null, serialization encodes these (in the form `profile` selects)
   * and ignores `data`.
   */
  elements: RtpExtensionElement[] | null;
}

/** An RTP packet. */
export interface RtpPacket {
  /** Always 2. */
  version: 2;
  /**
   * Number of padding bytes after the payload, including the final count byte
   * (0 = P bit clear, else 1–255).
   */
  padding: number;
  marker: boolean;
  /** 7-bit payload type. */
  payloadType: number;
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit RTP timestamp (unsigned). */
  timestamp: number;
  /** 32-bit synchronization source (unsigned). */
  ssrc: number;
  /** Up to 15 contributing sources (unsigned 32-bit). */
  csrcs: number[];
  extension: RtpHeaderExtension | null;
  /** The payload; when parsed, a view aliasing the input bytes (copy it to keep it past reuse of the input). */
  payload: Uint8Array;
}

/** Stable reasons a byte string is not a valid RTP packet. */
export type RtpParseErrorCode =
  /** Shorter than the 12-byte fixed header. */
  | "truncated"
  /** Version field is not 2. */
  | "bad_version"
  /** P bit set but the count byte is 0 or larger than what follows the header. */
  | "bad_padding"
  /** Extension header or body runs past the end, or an RFC 8285 element overruns it. */
  | "bad_extension"
  /** CSRC count needs more bytes than the packet has. */
  | "bad_csrc";

/** Why parsing failed. */
export interface RtpParseError {
  code: RtpParseErrorCode;
  /** Human-readable detail (not stable; match on `code`). */
  message: string;
}

/** Result of {@linkcode parseRtp}. */
export type RtpParseResult =
  | { ok: true; packet: RtpPacket }
  | { ok: false; error: RtpParseError };

function fail(code: RtpParseErrorCode, message: string): RtpParseResult {
  return { ok: false, error: { code, message } };
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * RFC 8285 elements of an extension body, or `null` when an element overruns
 * it. One-byte form: ID 0 bytes are padding, ID 15 ends parsing (§4.2), and
 * so does ID 0 with a non-zero length, which is neither padding nor an
 * element (libwebrtc stops there too). Two-byte form: zero bytes are padding (§4.3).
 */
function parseElements(body: Uint8Array, twoByte: boolean): RtpExtensionElement[] | null {
  const elements: RtpExtensionElement[] = [];
  const end = body.length;
  let o = 0;
  while (o < end) {
    const first = body[o]!;
    if (first === 0) {
      o++;
      continue;
    }
    let id: number;
    let len: number;
    if (twoByte) {
      if (o + 2 > end) return null;
      id = first;
      len = body[o + 1]!;
      o += 2;
    } else {
      id = first >> 4;
      if (id === 15 || id === 0) break;
      len = (first & 0xf) + 1;
      o += 1;
    }
    if (o + len > end) return null;
    elements.push({ id, data: view(body, o, o + len) });
    o += len;
  }
  return elements;
}

/** `bytes.subarray(start, end)`, built directly: measurably cheaper in V8. */
function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

function isTwoByteProfile(profile: number): boolean {
  return (profile & 0xfff0) === TWO_BYTE_PROFILE;
}

/**
 * Parses one RTP packet. Never throws; `packet.payload` and the extension's
 * `data` and element `data` are views into `bytes` (no copy), so they change
 * if the caller reuses `bytes`.
 */
export function parseRtp(bytes: Uint8Array): RtpParseResult {
  const len = bytes.length;
  if (len < FIXED_HEADER) return fail("truncated", `${len} bytes, need at least 12`);
  const b0 = bytes[0]!;
  if (b0 >> 6 !== 2) return fail("bad_version", `version ${b0 >> 6}, expected 2`);
  const cc = b0 & 0x0f;
  let offset = FIXED_HEADER + cc * 4;
  if (offset > len) return fail("bad_csrc", `${cc} CSRCs need ${offset} bytes, have ${len}`);
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(u32(bytes, FIXED_HEADER + i * 4));

  let extension: RtpHeaderExtension | null = null;
  if (b0 & 0x10) {
    if (offset + 4 > len) return fail("bad_extension", "extension header past the end");
    const profile = u16(bytes, offset);
    const bodyLen = u16(bytes, offset + 2) * 4;
    const start = offset + 4;
    offset = start + bodyLen;
    if (offset > len) {
      return fail("bad_extension", `extension of ${bodyLen} bytes runs past the end`);
    }
    const data = view(bytes, start, offset);
    let elements: RtpExtensionElement[] | null = null;
    if (profile === ONE_BYTE_PROFILE || isTwoByteProfile(profile)) {
      elements = parseElements(data, profile !== ONE_BYTE_PROFILE);
      if (elements === null) return fail("bad_extension", "RFC 8285 element overruns extension");
    }
    extension = { profile, data, elements };
  }

  let padding = 0;
  if (b0 & 0x20) {
    padding = bytes[len - 1]!;
    if (padding === 0 || padding > len - offset) {
      return fail(
        "bad_padding",
        `padding count ${padding} with ${len - offset} bytes after header`,
      );
    }
  }

  const b1 = bytes[1]!;
  return {
    ok: true,
    packet: {
      version: 2,
      padding,
      marker: (b1 & 0x80) !== 0,
      payloadType: b1 & 0x7f,
      sequenceNumber: u16(bytes, 2),
      timestamp: u32(bytes, 4),
      ssrc: u32(bytes, 8),
      csrcs,
      extension,
      payload: view(bytes, offset, len - padding),
    },
  };
}

/** Bytes of an extension body before padding to a 32-bit boundary. */
function elementsLength(ext: RtpHeaderExtension, elements: RtpExtensionElement[]): number {
  const twoByte = ext.profile !== ONE_BYTE_PROFILE;
  let n = 0;
  for (const e of elements) n += e.data.length + (twoByte ? 2 : 1);
  return n;
}

function extensionBodyLength(ext: RtpHeaderExtension): number {
  const elements = ext.elements;
  if (elements === null) return ext.data.length;
  return (elementsLength(ext, elements) + 3) & ~3;
}

/** Number of bytes {@linkcode writeRtp} writes for `packet`. */
export function rtpSize(packet: RtpPacket): number {
  const ext = packet.extension;
  return FIXED_HEADER + packet.csrcs.length * 4 +
    (ext === null ? 0 : 4 + extensionBodyLength(ext)) +
    packet.payload.length + packet.padding;
}

function writeU32(out: Uint8Array, o: number, v: number): void {
  out[o] = v >>> 24;
  out[o + 1] = v >>> 16;
  out[o + 2] = v >>> 8;
  out[o + 3] = v;
}

function writeElements(
  out: Uint8Array,
  o: number,
  ext: RtpHeaderExtension,
  elements: RtpExtensionElement[],
): number {
  const twoByte = ext.profile !== ONE_BYTE_PROFILE;
  for (const { id, data } of elements) {
    const n = data.length;
    if (twoByte) {
      if (id < 1 || id > 255 || n > 255) {
        throw new RangeError(`two-byte extension element id ${id} with ${n} bytes`);
      }
      out[o++] = id;
      out[o++] = n;
    } else {
      if (id < 1 || id > 14 || n < 1 || n > 16) {
        throw new RangeError(`one-byte extension element id ${id} with ${n} bytes`);
      }
      out[o++] = (id << 4) | (n - 1);
    }
    out.set(data, o);
    o += n;
  }
  return o;
}

/** The fields of the fixed 12-byte RTP header. */
export type RtpHeaderFields = Pick<
  RtpPacket,
  "marker" | "payloadType" | "sequenceNumber" | "timestamp" | "ssrc"
>;

/**
 * Writes the fixed 12-byte header of a version-2 packet without padding,
 * CSRCs or extension into `out` at `offset`, allocating nothing; a packet
 * sender's per-packet path.
 */
export function writeRtpHeader(out: Uint8Array, h: RtpHeaderFields, offset = 0): void {
  out[offset] = 0x80;
  out[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out[offset + 2] = h.sequenceNumber >>> 8;
  out[offset + 3] = h.sequenceNumber;
  writeU32(out, offset + 4, h.timestamp);
  writeU32(out, offset + 8, h.ssrc);
}

/**
 * Writes `packet` into `out` at `offset` without allocating and returns the
 * number of bytes written ({@linkcode rtpSize}). Padding bytes are zeros with
 * the count in the last byte.
 *
 * @throws {RangeError} when `out` is too small or a field is out of range
 * (CSRC count > 15, extension body not a multiple of 4 or over 65535 words,
 * RFC 8285 element ids
 * or lengths the profile's form cannot encode, padding > 255, extension
 * elements whose profile is neither RFC 8285 form).
 */
export function writeRtp(packet: RtpPacket, out: Uint8Array, offset = 0): number {
  const { csrcs, extension: ext, payload, padding } = packet;
  const cc = csrcs.length;
  if (cc > 15) throw new RangeError(`${cc} CSRCs, at most 15`);
  if (padding < 0 || padding > 255) throw new RangeError(`padding ${padding} not in 0..255`);
  if (ext !== null) {
    if (
      ext.elements !== null && ext.profile !== ONE_BYTE_PROFILE && !isTwoByteProfile(ext.profile)
    ) {
      throw new RangeError(`elements given for non-RFC 8285 profile ${ext.profile}`);
    }
    if (ext.elements === null && ext.data.length % 4 !== 0) {
      throw new RangeError(`extension body of ${ext.data.length} bytes is not 32-bit aligned`);
    }
    if (extensionBodyLength(ext) > 0x3fffc) throw new RangeError("extension body over 65535 words");
  }
  const size = rtpSize(packet);
  if (offset + size > out.length) {
    throw new RangeError(`need ${size} bytes at offset ${offset}, buffer has ${out.length}`);
  }
  let o = offset;
  writeRtpHeader(out, packet, o);
  out[o] = 0x80 | (padding > 0 ? 0x20 : 0) | (ext !== null ? 0x10 : 0) | cc;
  o += FIXED_HEADER;
  for (let i = 0; i < cc; i++, o += 4) writeU32(out, o, csrcs[i]!);
  if (ext !== null) {
    const bodyLen = extensionBodyLength(ext);
    out[o] = ext.profile >>> 8;
    out[o + 1] = ext.profile;
    out[o + 2] = bodyLen >>> 10;
    out[o + 3] = bodyLen >>> 2;
    o += 4;
    const bodyEnd = o + bodyLen;
    if (ext.elements === null) {
      out.set(ext.data, o);
    } else {
      out.fill(0, writeElements(out, o, ext, ext.elements), bodyEnd);
    }
    o = bodyEnd;
  }
  out.set(payload, o);
  o += payload.length;
  if (padding > 0) {
    out.fill(0, o, o + padding - 1);
    out[o + padding - 1] = padding;
    o += padding;
  }
  return o - offset;
}

/** Serializes `packet` into a new buffer (see {@linkcode writeRtp} for errors). */
export function serializeRtp(packet: RtpPacket): Uint8Array {
  const out = new Uint8Array(rtpSize(packet));
  writeRtp(packet, out);
  return out;
}

/**
 * RFC 5761 §4 demultiplexing with `a=rtcp-mux`: true when the second byte
 * (marker + payload type of RTP, packet type of RTCP) falls in 192–223, i.e.
 * payload types 64–95 with either marker value. RTP must not use those
 * payload types when muxed, so anything else is treated as RTP.
 */
export function isRtcp(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const pt = bytes[1]! & 0x7f;
  return pt >= 64 && pt <= 95;
}
