/**
 * Readers for the SDP attributes that WhatsApp's calling rules (reference §3)
 * look at, shared by offer validation, answer shaping and the answer checklist.
 *
 * @module
 */

import {
  excerpt,
  getAttribute,
  getAttributes,
  parseFmtp,
  parseRtpmap,
  type SdpLine,
  type SdpSection,
  splitAttribute,
} from "./sdp.ts";

/** The only transport Meta's WebRTC media path offers. */
export const WHATSAPP_PROTO = "UDP/TLS/RTP/SAVPF";

/** The direction attributes (`a=sendrecv`, …). */
export const DIRECTIONS: ReadonlySet<string> = new Set([
  "sendrecv",
  "sendonly",
  "recvonly",
  "inactive",
]);

/** Attributes whose value starts with the payload type they describe. */
export const CODEC_ATTRIBUTES: ReadonlySet<string> = new Set(["rtpmap", "fmtp", "rtcp-fb"]);

/** A sha-256 fingerprint value: 32 colon-separated hex bytes. */
export const SHA256_BYTES = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/i;

const ICE_TEXT = /^[\x21-\x7e]+$/;

/** An `a=fingerprint` value. */
export interface Fingerprint {
  /** Hash name, lowercased (`sha-256`). */
  algorithm: string;
  /** Colon-separated hex bytes as written. */
  value: string;
}

/** The parts of an `a=ssrc:<id> <attr>[:<value>]` value. */
export interface SsrcAttribute {
  id: number;
  /** The attribute name, e.g. `cname`. */
  attribute: string;
  /** Everything after the id, e.g. `cname:abc`. */
  rest: string;
}

/** The first token of a space-separated value. */
export function head(value: string): string {
  return value.trim().split(/[ \t]+/, 1)[0]!;
}

/** Media-level value, falling back to the session level (RFC 8839 ICE attributes). */
export function inherited(
  session: readonly SdpLine[],
  section: SdpSection,
  name: string,
): string | undefined {
  return getAttribute(section, name) ?? getAttribute(session, name);
}

/** Payload type of `name/clock[/channels]` among `formats`, `name` lowercase. */
export function findCodec(
  section: SdpSection,
  formats: readonly string[],
  name: string,
  clockRate: number,
  channels?: number,
): number | undefined {
  for (const value of getAttributes(section, "rtpmap")) {
    const rtpmap = parseRtpmap(value);
    if (
      rtpmap.ok &&
      rtpmap.value.encodingName.toLowerCase() === name &&
      rtpmap.value.clockRate === clockRate &&
      (channels === undefined || rtpmap.value.channels === channels) &&
      formats.includes(String(rtpmap.value.payloadType))
    ) return rtpmap.value.payloadType;
  }
  return undefined;
}

/** The `a=fmtp` parameters of `payloadType`, if any. */
export function fmtpOf(section: SdpSection, payloadType: number): string | undefined {
  for (const value of getAttributes(section, "fmtp")) {
    const fmtp = parseFmtp(value);
    if (fmtp.ok && fmtp.value.payloadType === payloadType) return fmtp.value.parameters;
  }
  return undefined;
}

/** Parses an `a=fingerprint` value, `undefined` when it is not `<hash> <bytes>`. */
export function parseFingerprint(value: string): Fingerprint | undefined {
  const match = /^(\S+)[ \t]+(\S+)$/.exec(value.trim());
  return match ? { algorithm: match[1]!.toLowerCase(), value: match[2]! } : undefined;
}

/** The parsed `a=fingerprint` of a line, `undefined` for other lines or a malformed value. */
export function fingerprintOf(line: SdpLine): Fingerprint | undefined {
  const attr = splitAttribute(line);
  return attr?.name === "fingerprint" ? parseFingerprint(attr.value ?? "") : undefined;
}

/** Mids of the first `a=group:BUNDLE` among `lines`, `undefined` without one. */
export function bundleOf(lines: readonly SdpLine[]): string[] | undefined {
  for (const value of getAttributes(lines, "group")) {
    const [semantics, ...mids] = value.trim().split(/[ \t]+/);
    if (semantics === "BUNDLE") return mids;
  }
  return undefined;
}

/** Every direction attribute among `lines`, in order. */
export function directionsOf(lines: readonly SdpLine[]): string[] {
  return lines.flatMap((l) => (l.type === "a" && DIRECTIONS.has(l.value) ? [l.value] : []));
}

/** Parses an `a=ssrc` value, `undefined` when malformed or out of 32 bits. */
export function parseSsrc(value: string): SsrcAttribute | undefined {
  const match = /^(\d{1,10})[ \t]+(([^:\s]+)(?::.*)?)$/.exec(value);
  const id = Number(match?.[1]);
  if (!match || id > 0xffffffff) return undefined;
  return { id, attribute: match[3]!, rest: match[2]! };
}

/**
 * Why an `a=ice-ufrag` / `a=ice-pwd` value is unusable (RFC 8839: `min`–256
 * visible characters; Meta's published samples mask them), or `undefined`.
 */
export function checkIceCredential(
  name: string,
  value: string | undefined,
  min: number,
): string | undefined {
  if (value === undefined) return `missing a=${name}`;
  if (/^\*+$/.test(value)) return `a=${name} is masked (${excerpt(value)})`;
  if (value.length < min || value.length > 256 || !ICE_TEXT.test(value)) {
    return `a=${name} must be ${min}–256 visible characters, got ${excerpt(value)}`;
  }
  return undefined;
}
