/**
 * WhatsApp Cloud API calling rules for SDP (reference §3): validate Meta's
 * offer, shape a local WebRTC answer into one Meta accepts, and check an
 * answer against that checklist.
 *
 * Meta is ICE-lite and DTLS `actpass`, offers one `m=audio` with Opus and
 * telephone-event, and rejects answers with several fingerprints (138008),
 * several SSRCs, or anything but `setup:active` from an ICE-full peer.
 *
 * @module
 */

import { type AddressScope, addressScope, ipFamily, parseIPv4 } from "./ip_scope.ts";
import {
  attribute,
  type Candidate,
  excerpt,
  formatCandidate,
  formatMediaLine,
  getAttribute,
  getAttributes,
  hasAttribute,
  parseCandidate,
  parseFmtp,
  parseMediaLine,
  parseRtpmap,
  parseSdp,
  removeAttribute,
  type Sdp,
  type SdpLine,
  type SdpSection,
  serializeSdp,
  setAttribute,
  splitAttribute,
  upsertLine,
} from "./sdp.ts";

/** The only transport Meta's WebRTC media path offers. */
export const WHATSAPP_PROTO = "UDP/TLS/RTP/SAVPF";

/** An `a=fingerprint` value. */
export interface Fingerprint {
  /** Hash name, lowercased (`sha-256`). */
  algorithm: string;
  /** Colon-separated hex bytes as written. */
  value: string;
}

/** What the bridge needs from a validated WhatsApp offer. */
export interface WhatsAppOffer {
  /** The parsed offer. */
  sdp: Sdp;
  /** Payload type of `opus/48000/2` (111 in every offer seen). */
  opusPt: number;
  /** The Opus `a=fmtp` parameters exactly as offered, if any. */
  opusFmtp?: string;
  /** Payload type of `telephone-event/8000` (126 in every offer seen). */
  telephoneEventPt: number;
  /** `a=mid` of the audio section (`audio`). */
  mid: string;
  /** Mids of `a=group:BUNDLE`. */
  bundle: string[];
  iceUfrag: string;
  icePwd: string;
  /** Meta advertises `a=ice-lite`, so we must be ICE-full and controlling. */
  iceLite: boolean;
  fingerprint: Fingerprint;
  /** `actpass` (or `passive`): we answer `active`. */
  setup: string;
  /** Usable candidates only: UDP, component 1, IP literal, non-zero port. TCP ones are ignored. */
  candidates: Candidate[];
  /** Meta's sending SSRC, when announced. */
  ssrc?: number;
}

/** Result of {@linkcode validateWhatsAppOffer}. */
export type OfferValidation = { ok: true; offer: WhatsAppOffer } | { ok: false; errors: string[] };

/** Result of {@linkcode shapeWhatsAppAnswer}. */
export type ShapedAnswer = { ok: true; sdp: string } | { ok: false; errors: string[] };

/** Options of {@linkcode shapeWhatsAppAnswer}. */
export interface ShapeOptions {
  /**
   * Public IPv4 of a 1:1-NAT host (cloud VM): replaces the private address of
   * IPv4 host candidates and the `c=` address, and unroutable VPN candidates
   * (Tailscale) are dropped.
   */
  publicIp?: string | undefined;
  /** SSRC the bridge sends with, replacing the answer's. */
  ssrc?: number | undefined;
}

/** What {@linkcode checkWhatsAppAnswer} compares against; defaults are Meta's usual values. */
export type AnswerExpectations = Partial<
  Pick<WhatsAppOffer, "mid" | "opusPt" | "telephoneEventPt" | "opusFmtp">
>;

const DIRECTIONS = new Set(["sendrecv", "sendonly", "recvonly", "inactive"]);
const CODEC_ATTRIBUTES = new Set(["rtpmap", "fmtp", "rtcp-fb"]);
const SHA256 = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/i;
const ICE_TEXT = /^[\x21-\x7e]+$/;

/** The first token of a space-separated value. */
function head(value: string): string {
  return value.trim().split(/[ \t]+/, 1)[0]!;
}

/** Media-level value, falling back to the session level (RFC 8839 ICE attributes). */
function inherited(sdp: Sdp, section: SdpSection, name: string): string | undefined {
  return getAttribute(section, name) ?? getAttribute(sdp.session, name);
}

/** Payload type of `name/clock[/channels]` among the section's formats. */
function findCodec(
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

function fmtpOf(section: SdpSection, payloadType: number): string | undefined {
  for (const value of getAttributes(section, "fmtp")) {
    const fmtp = parseFmtp(value);
    if (fmtp.ok && fmtp.value.payloadType === payloadType) return fmtp.value.parameters;
  }
  return undefined;
}

function parseFingerprint(value: string): Fingerprint | undefined {
  const match = /^(\S+)[ \t]+(\S+)$/.exec(value.trim());
  return match ? { algorithm: match[1]!.toLowerCase(), value: match[2]! } : undefined;
}

/** The parsed `a=fingerprint` of a line, `undefined` for other lines or a malformed value. */
function fingerprintOf(line: SdpLine): Fingerprint | undefined {
  const attr = splitAttribute(line);
  return attr?.name === "fingerprint" ? parseFingerprint(attr.value ?? "") : undefined;
}

function bundleOf(session: readonly SdpLine[]): string[] | undefined {
  for (const value of getAttributes(session, "group")) {
    const [semantics, ...mids] = value.trim().split(/[ \t]+/);
    if (semantics === "BUNDLE") return mids;
  }
  return undefined;
}

function directionsOf(lines: readonly SdpLine[]): string[] {
  return lines.flatMap((l) => (l.type === "a" && DIRECTIONS.has(l.value) ? [l.value] : []));
}

/** `a=ssrc:<id> <attr>[:<value>]`. */
function parseSsrc(value: string): { id: number; attribute: string; rest: string } | undefined {
  const match = /^(\d{1,10})[ \t]+(([^:\s]+)(?::.*)?)$/.exec(value);
  const id = Number(match?.[1]);
  if (!match || id > 0xffffffff) return undefined;
  return { id, attribute: match[3]!, rest: match[2]! };
}

function isUsable(c: Candidate): boolean {
  const scope = addressScope(c.address);
  return c.transport.toLowerCase() === "udp" && c.component === 1 && c.port > 0 &&
    scope !== "hostname" && scope !== "unspecified";
}

function checkIceCredential(
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

/**
 * Validates a WhatsApp SDP offer and extracts what the answer and the media
 * path need. Every problem found is reported, each naming what is wrong.
 */
export function validateWhatsAppOffer(sdp: string): OfferValidation {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return { ok: false, errors: [`unparseable SDP: ${parsed.error}`] };
  const { session, media } = parsed.value;
  const mLines = media.map((s) => parseMediaLine(s[0]!.value));
  const index = mLines.findIndex((m) => m.ok && m.value.media === "audio");
  const section = media[index];
  const m = mLines[index];
  if (section === undefined || !m?.ok) return { ok: false, errors: ["no m=audio section"] };
  const errors: string[] = [];
  if (media.length !== 1) {
    const kinds = mLines.map((m) => (m.ok ? m.value.media : "malformed")).join(", ");
    errors.push(`expected exactly one m= section (audio), found ${media.length}: ${kinds}`);
  }
  if (m.value.proto !== WHATSAPP_PROTO) {
    errors.push(`m=audio transport must be ${WHATSAPP_PROTO}, got ${m.value.proto}`);
  }

  const opusPt = findCodec(section, m.value.formats, "opus", 48000, 2);
  if (opusPt === undefined) errors.push("Opus (opus/48000/2) is not offered");
  const telephoneEventPt = findCodec(section, m.value.formats, "telephone-event", 8000);
  if (telephoneEventPt === undefined) errors.push("telephone-event/8000 is missing");

  const iceUfrag = inherited(parsed.value, section, "ice-ufrag");
  const icePwd = inherited(parsed.value, section, "ice-pwd");
  for (
    const error of [
      checkIceCredential("ice-ufrag", iceUfrag, 4),
      checkIceCredential("ice-pwd", icePwd, 22),
    ]
  ) {
    if (error) errors.push(error);
  }

  const fingerprints = [
    ...getAttributes(session, "fingerprint"),
    ...getAttributes(section, "fingerprint"),
  ];
  let fingerprint: Fingerprint | undefined;
  if (fingerprints.length !== 1) {
    errors.push(
      fingerprints.length === 0
        ? "missing a=fingerprint"
        : `expected exactly one a=fingerprint, found ${fingerprints.length}`,
    );
  } else {
    fingerprint = parseFingerprint(fingerprints[0]!);
    if (!fingerprint) {
      errors.push(`a=fingerprint must be "<hash> <hex bytes>", got ${excerpt(fingerprints[0]!)}`);
    } else if (fingerprint.algorithm !== "sha-256") {
      errors.push(`fingerprint hash must be sha-256, got ${fingerprint.algorithm}`);
    } else if (!SHA256.test(fingerprint.value)) {
      errors.push(
        `sha-256 fingerprint must be 32 colon-separated hex bytes, got ${
          excerpt(fingerprint.value)
        }`,
      );
    }
  }

  const setup = inherited(parsed.value, section, "setup");
  if (setup === undefined) errors.push("missing a=setup");
  else if (setup !== "actpass" && setup !== "passive") {
    errors.push(`a=setup must be actpass or passive (we answer active), got ${setup}`);
  }

  const mid = getAttribute(section, "mid");
  const bundle = bundleOf(session);
  if (mid === undefined) errors.push("missing a=mid");
  if (bundle === undefined) errors.push("missing a=group:BUNDLE");
  else if (mid !== undefined && !bundle.includes(mid)) {
    errors.push(`a=group:BUNDLE ${bundle.join(" ")} does not include mid ${excerpt(mid)}`);
  }
  if (!hasAttribute(section, "rtcp-mux")) errors.push("missing a=rtcp-mux");
  const direction = directionsOf(section)[0] ?? directionsOf(session)[0] ?? "sendrecv";
  if (direction !== "sendrecv") errors.push(`offer direction must be sendrecv, got ${direction}`);

  const candidates: Candidate[] = [];
  let ignored = 0;
  let malformed = 0;
  for (const value of getAttributes(section, "candidate")) {
    const c = parseCandidate(value);
    if (!c.ok) malformed++;
    else if (isUsable(c.value)) candidates.push(c.value);
    else ignored++;
  }
  if (candidates.length === 0) {
    errors.push(
      `no usable candidate (need UDP, component 1, an IP address and a port): ` +
        `${ignored} unusable, ${malformed} malformed`,
    );
  }

  if (errors.length > 0 || opusPt === undefined || telephoneEventPt === undefined) {
    return { ok: false, errors };
  }
  const ssrc = getAttributes(section, "ssrc").map(parseSsrc).find((s) => s !== undefined)?.id;
  const opusFmtp = fmtpOf(section, opusPt);
  const offer: WhatsAppOffer = {
    sdp: parsed.value,
    opusPt,
    telephoneEventPt,
    mid: mid!,
    bundle: bundle!,
    iceUfrag: iceUfrag!,
    icePwd: icePwd!,
    iceLite: hasAttribute(session, "ice-lite") || hasAttribute(section, "ice-lite"),
    fingerprint: fingerprint!,
    setup: setup!,
    candidates,
  };
  if (opusFmtp !== undefined) offer.opusFmtp = opusFmtp;
  if (ssrc !== undefined) offer.ssrc = ssrc;
  return { ok: true, offer };
}

/** Removes the `trickle` option, and the line if nothing else is left. */
function withoutTrickle(lines: readonly SdpLine[]): SdpLine[] {
  return lines.flatMap((line) => {
    const attr = splitAttribute(line);
    if (attr?.name !== "ice-options" || attr.value === undefined) return [line];
    const options = attr.value.trim().split(/[ \t]+/).filter((o) => o !== "trickle" && o !== "");
    return options.length === 0 ? [] : [attribute("ice-options", options.join(" "))];
  });
}

/** Keeps Opus and telephone-event lines, renumbered to the offer's payload types; drops other codecs. */
function remapCodecs(
  lines: readonly SdpLine[],
  answerOpusPt: number,
  answerTelephoneEventPt: number | undefined,
  offer: WhatsAppOffer,
): SdpLine[] {
  const out: SdpLine[] = [];
  let opusRtpmapEnd = -1;
  let codecEnd = -1;
  let opusFmtpSeen = false;
  let telephoneEventSeen = false;
  for (const line of lines) {
    const attr = splitAttribute(line);
    if (!attr || !CODEC_ATTRIBUTES.has(attr.name) || attr.value === undefined) {
      out.push(line);
      continue;
    }
    const ptText = head(attr.value);
    const rest = attr.value.slice(attr.value.indexOf(ptText) + ptText.length);
    if (ptText === "*") out.push(line);
    else if (Number(ptText) === answerOpusPt) {
      if (attr.name === "rtpmap") {
        out.push(attribute("rtpmap", `${offer.opusPt} opus/48000/2`));
        opusRtpmapEnd = out.length;
      } else if (attr.name === "fmtp") {
        if (offer.opusFmtp !== undefined && !opusFmtpSeen) {
          out.push(attribute("fmtp", `${offer.opusPt} ${offer.opusFmtp}`));
        }
        opusFmtpSeen = true;
      } else out.push(attribute(attr.name, `${offer.opusPt}${rest}`));
    } else if (Number(ptText) === answerTelephoneEventPt) {
      if (attr.name === "rtpmap") telephoneEventSeen = true;
      out.push(
        attr.name === "rtpmap"
          ? attribute("rtpmap", `${offer.telephoneEventPt} telephone-event/8000`)
          : attribute(attr.name, `${offer.telephoneEventPt}${rest}`),
      );
    } else continue;
    codecEnd = out.length;
  }
  if (!opusFmtpSeen && offer.opusFmtp !== undefined) {
    out.splice(opusRtpmapEnd, 0, attribute("fmtp", `${offer.opusPt} ${offer.opusFmtp}`));
    if (codecEnd >= opusRtpmapEnd) codecEnd++;
  }
  // werift (and most stacks) only answer telephone-event when configured; Meta expects it.
  if (!telephoneEventSeen) {
    out.splice(codecEnd, 0, attribute("rtpmap", `${offer.telephoneEventPt} telephone-event/8000`));
  }
  return out;
}

/** Keeps the `cname`/`msid` lines of the first SSRC (renumbered to `ssrc`), drops every other SSRC and group. */
function keepOneSsrc(lines: readonly SdpLine[], ssrc: number | undefined): SdpLine[] | string {
  const first = getAttributes(lines, "ssrc").map(parseSsrc).find((s) => s !== undefined);
  if (first === undefined) {
    return "answer has no a=ssrc line: the local peer must send one audio track";
  }
  const id = ssrc ?? first.id;
  let cname = false;
  const out = removeAttribute(lines, "ssrc-group").flatMap((line) => {
    const attr = splitAttribute(line);
    if (attr?.name !== "ssrc") return [line];
    const parsed = parseSsrc(attr.value ?? "");
    if (parsed?.id !== first.id || (parsed.attribute !== "cname" && parsed.attribute !== "msid")) {
      return [];
    }
    cname ||= parsed.attribute === "cname";
    return [attribute("ssrc", `${id} ${parsed.rest}`)];
  });
  return cname ? out : `answer's a=ssrc:${first.id} has no cname`;
}

/** Preference among non-public IPv4 host addresses for carrying the public IP. */
const REWRITE_RANK: Partial<Record<AddressScope, number>> = {
  private: 0,
  cgnat: 1,
  "link-local": 2,
  loopback: 3,
};

/**
 * Drops candidates Meta cannot reach and, with a public IP, moves the best-ranked
 * non-public IPv4 host candidates onto it (a 1:1 NAT forwards to the primary
 * interface; VPN and link-local sockets behind it stay unreachable).
 */
function selectCandidates(all: readonly Candidate[], publicIp: string | undefined): Candidate[] {
  let kept = all.filter((c) => {
    const scope = addressScope(c.address);
    return c.component === 1 && scope !== "hostname" && scope !== "unspecified" &&
      !(publicIp !== undefined && scope === "tailscale");
  });
  if (publicIp !== undefined) {
    const rankOf = (c: Candidate) =>
      c.type === "host" && ipFamily(c.address) === 4
        ? REWRITE_RANK[addressScope(c.address)]
        : undefined;
    const best = Math.min(...kept.map((c) => rankOf(c) ?? Infinity));
    kept = kept.flatMap((c) => {
      const rank = rankOf(c);
      if (rank === undefined) return [c];
      return rank === best ? [{ ...c, address: publicIp }] : [];
    });
  }
  kept = kept.filter((c) => addressScope(c.address) !== "link-local");
  if (kept.some((c) => addressScope(c.address) !== "loopback")) {
    kept = kept.filter((c) => addressScope(c.address) !== "loopback");
  }
  const seen = new Set<string>();
  return kept.filter((c) => {
    const key = `${c.transport.toLowerCase()} ${c.address} ${c.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Puts `candidates` and `a=end-of-candidates` where the first candidate was (else at the end). */
function placeCandidates(lines: readonly SdpLine[], candidates: readonly Candidate[]): SdpLine[] {
  const isIce = (l: SdpLine) =>
    l.type === "a" && (l.value.startsWith("candidate:") || l.value === "end-of-candidates");
  const at = lines.findIndex(isIce);
  const out = lines.filter((l) => !isIce(l));
  const before = at < 0 ? out.length : lines.slice(0, at).filter((l) => !isIce(l)).length;
  out.splice(
    before,
    0,
    ...candidates.map((c) => attribute("candidate", formatCandidate(c))),
    attribute("end-of-candidates"),
  );
  return out;
}

/**
 * Turns a local WebRTC answer (werift `createAnswer` after ICE gathering
 * completed) into one that passes Meta's checklist (see
 * {@linkcode checkWhatsAppAnswer}). Unknown lines and their order are kept.
 */
export function shapeWhatsAppAnswer(
  answerSdp: string,
  offer: WhatsAppOffer,
  opts: ShapeOptions = {},
): ShapedAnswer {
  const { publicIp, ssrc } = opts;
  const errors: string[] = [];
  if (publicIp !== undefined && (!parseIPv4(publicIp) || addressScope(publicIp) !== "public")) {
    errors.push(`publicIp must be a public IPv4 address, got ${excerpt(publicIp)}`);
  }
  if (ssrc !== undefined && !(Number.isInteger(ssrc) && ssrc >= 0 && ssrc <= 0xffffffff)) {
    errors.push(`ssrc must be a 32-bit unsigned integer, got ${ssrc}`);
  }
  const parsed = parseSdp(answerSdp);
  if (!parsed.ok) errors.push(`unparseable answer SDP: ${parsed.error}`);
  if (errors.length > 0 || !parsed.ok) return { ok: false, errors };

  const { session, media } = parsed.value;
  const section = media[0];
  const m = section && media.length === 1 ? parseMediaLine(section[0]!.value) : undefined;
  if (!section || !m?.ok || m.value.media !== "audio") {
    return {
      ok: false,
      errors: [`answer must have exactly one m=audio section, found ${media.length} m= sections`],
    };
  }

  const fingerprintLines = [...session, ...section].filter((l) =>
    splitAttribute(l)?.name === "fingerprint"
  );
  const chosen = fingerprintLines.find((l) => fingerprintOf(l)?.algorithm === "sha-256");
  if (!chosen) {
    const found = fingerprintLines.map((l) => fingerprintOf(l)?.algorithm ?? "malformed");
    errors.push(`answer has no sha-256 a=fingerprint (found: ${found.join(", ") || "none"})`);
  }
  const answerOpusPt = findCodec(section, m.value.formats, "opus", 48000, 2);
  if (answerOpusPt === undefined) errors.push("answer does not accept Opus (opus/48000/2)");
  const answerTelephoneEventPt = findCodec(section, m.value.formats, "telephone-event", 8000);

  const candidates = selectCandidates(
    getAttributes(section, "candidate").flatMap((v) => {
      const c = parseCandidate(v);
      return c.ok ? [c.value] : [];
    }),
    publicIp,
  );
  if (candidates.length === 0) {
    errors.push("no usable candidate left in the answer (was ICE gathering complete?)");
  }
  const ssrcLines = keepOneSsrc(section.slice(1), ssrc);
  if (typeof ssrcLines === "string") errors.push(ssrcLines);
  if (errors.length > 0 || !chosen || answerOpusPt === undefined || typeof ssrcLines === "string") {
    return { ok: false, errors };
  }

  const fingerprint = attribute("fingerprint", `sha-256 ${fingerprintOf(chosen)!.value}`);
  const common = (lines: readonly SdpLine[]) =>
    withoutTrickle(removeAttribute(lines, "ice-lite")).flatMap((l) => {
      if (splitAttribute(l)?.name === "fingerprint") return l === chosen ? [fingerprint] : [];
      if (l.type === "c" && publicIp !== undefined) {
        return [{ type: "c", value: `IN IP4 ${publicIp}` }];
      }
      return [l];
    });

  const newSession = upsertLine(
    common(session),
    (l) => bundleOf([l]) !== undefined,
    attribute("group", `BUNDLE ${offer.mid}`),
  );
  let lines = common(ssrcLines);
  lines = remapCodecs(lines, answerOpusPt, answerTelephoneEventPt, offer);
  lines = setAttribute(lines, "setup", "active");
  lines = setAttribute(lines, "mid", offer.mid);
  lines = upsertLine(
    lines,
    (l) => l.type === "a" && DIRECTIONS.has(l.value),
    attribute("sendrecv"),
  );
  if (!hasAttribute(lines, "rtcp-mux")) lines.push(attribute("rtcp-mux"));
  lines = placeCandidates(lines, candidates);
  const port = publicIp === undefined
    ? m.value.port
    : candidates.find((c) => c.address === publicIp && c.transport.toLowerCase() === "udp")?.port;
  const mLine = {
    ...m.value,
    port: port ?? m.value.port,
    formats: [offer.opusPt, offer.telephoneEventPt].map(String),
  };
  if (publicIp !== undefined && ![...session, ...section].some((l) => l.type === "c")) {
    lines.unshift({ type: "c", value: `IN IP4 ${publicIp}` });
  }

  const sdp = serializeSdp({
    session: newSession,
    media: [[{ type: "m", value: formatMediaLine(mLine) }, ...lines]],
  });
  const violations = checkWhatsAppAnswer(sdp, offer);
  return violations.length === 0 ? { ok: true, sdp } : { ok: false, errors: violations };
}

/**
 * Meta's answer checklist (reference §3.3) as a validator: returns every
 * violation, or `[]` when the answer passes. `expected` defaults to mid
 * `audio`, Opus 111 and telephone-event 126; pass the offer to compare the
 * Opus fmtp too.
 */
export function checkWhatsAppAnswer(sdp: string, expected: AnswerExpectations = {}): string[] {
  const { mid = "audio", opusPt = 111, telephoneEventPt = 126, opusFmtp } = expected;
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return [`unparseable SDP: ${parsed.error}`];
  const { session, media } = parsed.value;
  if (media.length !== 1) return [`expected exactly one m= section, found ${media.length}`];
  const section = media[0]!;
  const m = parseMediaLine(section[0]!.value);
  if (!m.ok) return [m.error];
  const violations: string[] = [];
  const all = [...session, ...section];

  if (m.value.media !== "audio") violations.push(`m= section is ${m.value.media}, expected audio`);
  if (m.value.proto !== WHATSAPP_PROTO) {
    violations.push(`m=audio transport must be ${WHATSAPP_PROTO}, got ${m.value.proto}`);
  }
  const wanted = [String(opusPt), String(telephoneEventPt)];
  if (m.value.formats.join(" ") !== wanted.join(" ")) {
    violations.push(
      `m=audio must list payload types ${wanted.join(" ")}, got ${m.value.formats.join(" ")}`,
    );
  }
  for (const name of CODEC_ATTRIBUTES) {
    for (const value of getAttributes(section, name)) {
      const pt = head(value);
      if (pt !== "*" && !wanted.includes(pt)) {
        violations.push(`a=${name}:${pt} is for a codec other than Opus/DTMF`);
      }
    }
  }
  if (findCodec(section, [wanted[0]!], "opus", 48000, 2) === undefined) {
    violations.push(`missing a=rtpmap:${opusPt} opus/48000/2`);
  }
  if (findCodec(section, [wanted[1]!], "telephone-event", 8000) === undefined) {
    violations.push(`missing a=rtpmap:${telephoneEventPt} telephone-event/8000`);
  }
  if (opusFmtp !== undefined && fmtpOf(section, opusPt) !== opusFmtp) {
    violations.push(
      `a=fmtp:${opusPt} must be the offer's ${excerpt(opusFmtp)}, got ${
        excerpt(fmtpOf(section, opusPt) ?? "")
      }`,
    );
  }

  const fingerprints = getAttributes(all, "fingerprint");
  if (fingerprints.length !== 1) {
    violations.push(`expected exactly one a=fingerprint, found ${fingerprints.length}`);
  }
  for (const value of fingerprints) {
    const fp = parseFingerprint(value);
    if (fp?.algorithm !== "sha-256") {
      violations.push(`fingerprint hash must be sha-256, got ${fp?.algorithm ?? excerpt(value)}`);
    } else if (!SHA256.test(fp.value)) {
      violations.push(`sha-256 fingerprint must be 32 colon-separated hex bytes`);
    }
  }
  const setups = getAttributes(all, "setup");
  if (setups.length !== 1 || setups[0] !== "active") {
    violations.push(`a=setup must be active, got ${setups.join(", ") || "none"}`);
  }
  const mids = getAttributes(section, "mid");
  if (mids.length !== 1 || mids[0] !== mid) {
    violations.push(`a=mid must be ${mid}, got ${mids.join(", ") || "none"}`);
  }
  const bundle = bundleOf(session);
  if (bundle?.join(" ") !== mid) {
    violations.push(
      `a=group:BUNDLE must be ${excerpt(mid)}, got ${bundle ? excerpt(bundle.join(" ")) : "none"}`,
    );
  }
  if (!hasAttribute(section, "rtcp-mux")) violations.push("missing a=rtcp-mux");
  const directions = directionsOf(all);
  if (directions.join() !== "sendrecv") {
    violations.push(`direction must be sendrecv, got ${directions.join(", ") || "none"}`);
  }

  const ssrcs = new Set(getAttributes(section, "ssrc").map((v) => parseSsrc(v)?.id ?? v));
  if (ssrcs.size !== 1) violations.push(`expected exactly one SSRC, found ${ssrcs.size}`);
  else if (!getAttributes(section, "ssrc").some((v) => parseSsrc(v)?.attribute === "cname")) {
    violations.push("a=ssrc has no cname");
  }
  if (hasAttribute(section, "ssrc-group")) {
    violations.push("a=ssrc-group is not allowed (single SSRC)");
  }

  if (hasAttribute(all, "ice-lite")) {
    violations.push("a=ice-lite must not be present (be ICE-full)");
  }
  if (getAttributes(all, "ice-options").some((v) => v.split(/[ \t]+/).includes("trickle"))) {
    violations.push("a=ice-options must not announce trickle");
  }
  for (const name of ["ice-ufrag", "ice-pwd"]) {
    if (inherited(parsed.value, section, name) === undefined) violations.push(`missing a=${name}`);
  }

  const candidateIndexes = section.flatMap((
    l,
    i,
  ) => (splitAttribute(l)?.name === "candidate" ? [i] : []));
  const end = section.findIndex((l) => l.type === "a" && l.value === "end-of-candidates");
  if (candidateIndexes.length === 0) {
    violations.push("no a=candidate lines (include the complete set)");
  }
  if (end < 0) violations.push("missing a=end-of-candidates");
  else if (end < candidateIndexes[candidateIndexes.length - 1]!) {
    violations.push("a=end-of-candidates must follow the last a=candidate");
  }
  const candidates = getAttributes(section, "candidate").map(parseCandidate);
  const someRoutable = candidates.some((c) => c.ok && addressScope(c.value.address) !== "loopback");
  for (const c of candidates) {
    if (!c.ok) violations.push(`malformed a=candidate: ${c.error}`);
    else {
      const scope = addressScope(c.value.address);
      if (
        scope === "link-local" || scope === "hostname" || scope === "unspecified" ||
        (scope === "loopback" && someRoutable)
      ) {
        violations.push(`candidate address ${c.value.address} is ${scope}, unreachable for Meta`);
      }
    }
  }
  return violations;
}
