/**
 * Shapes a local WebRTC answer (werift `createAnswer` after ICE gathering)
 * into one that passes Meta's checklist ({@linkcode checkWhatsAppAnswer}):
 * one sha-256 fingerprint, `setup:active`, no ICE-lite or trickle, Opus and
 * telephone-event on the offer's payload types, a single SSRC, and only
 * candidates Meta can reach.
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
  getAttributes,
  hasAttribute,
  type MediaLine,
  parseCandidate,
  parseMediaLine,
  parseSdp,
  removeAttribute,
  type Sdp,
  type SdpLine,
  serializeSdp,
  setAttribute,
  splitAttribute,
  upsertLine,
} from "./sdp.ts";
import {
  bundleOf,
  CODEC_ATTRIBUTES,
  DIRECTIONS,
  findCodec,
  fingerprintOf,
  head,
  parseSsrc,
} from "./whatsapp_attributes.ts";
import { checkWhatsAppAnswer } from "./whatsapp_checklist.ts";
import type { WhatsAppOffer } from "./whatsapp_offer.ts";

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

/** What the shaper takes from the local answer. */
interface LocalAnswer {
  session: SdpLine[];
  /** Media lines after the `m=` line, SSRC lines already reduced to one SSRC. */
  lines: SdpLine[];
  mLine: MediaLine;
  /** The `a=fingerprint` line kept. */
  fingerprint: SdpLine;
  opusPt: number;
  telephoneEventPt: number | undefined;
  candidates: Candidate[];
  hasConnection: boolean;
}

/** Removes the `trickle` option, and the line if nothing else is left. */
export function withoutTrickle(lines: readonly SdpLine[]): SdpLine[] {
  return lines.flatMap((line) => {
    const attr = splitAttribute(line);
    if (attr?.name !== "ice-options" || attr.value === undefined) return [line];
    const options = attr.value.trim().split(/[ \t]+/).filter((o) => o !== "trickle" && o !== "");
    return options.length === 0 ? [] : [attribute("ice-options", options.join(" "))];
  });
}

/** Keeps Opus and telephone-event lines, renumbered to the offer's payload types; drops other codecs. */
function remapCodecs(
  local: LocalAnswer,
  lines: readonly SdpLine[],
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
    else if (Number(ptText) === local.opusPt) {
      if (attr.name === "rtpmap") {
        out.push(attribute("rtpmap", `${offer.opusPt} opus/48000/2`));
        opusRtpmapEnd = out.length;
      } else if (attr.name === "fmtp") {
        if (offer.opusFmtp !== undefined && !opusFmtpSeen) {
          out.push(attribute("fmtp", `${offer.opusPt} ${offer.opusFmtp}`));
        }
        opusFmtpSeen = true;
      } else out.push(attribute(attr.name, `${offer.opusPt}${rest}`));
    } else if (Number(ptText) === local.telephoneEventPt) {
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
export function keepOneSsrc(
  lines: readonly SdpLine[],
  ssrc: number | undefined,
): SdpLine[] | string {
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
export function selectCandidates(
  all: readonly Candidate[],
  publicIp: string | undefined,
): Candidate[] {
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
export function placeCandidates(
  lines: readonly SdpLine[],
  candidates: readonly Candidate[],
): SdpLine[] {
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

function optionErrors({ publicIp, ssrc }: ShapeOptions): string[] {
  const errors: string[] = [];
  if (publicIp !== undefined && (!parseIPv4(publicIp) || addressScope(publicIp) !== "public")) {
    errors.push(`publicIp must be a public IPv4 address, got ${excerpt(publicIp)}`);
  }
  if (ssrc !== undefined && !(Number.isInteger(ssrc) && ssrc >= 0 && ssrc <= 0xffffffff)) {
    errors.push(`ssrc must be a 32-bit unsigned integer, got ${ssrc}`);
  }
  return errors;
}

/** Reads what shaping needs from the local answer, or every reason it cannot be shaped. */
function readLocalAnswer(
  { session, media }: Sdp,
  opts: ShapeOptions,
): { ok: true; value: LocalAnswer } | { ok: false; errors: string[] } {
  const section = media[0];
  const m = section && media.length === 1 ? parseMediaLine(section[0]!.value) : undefined;
  if (!section || !m?.ok || m.value.media !== "audio") {
    return {
      ok: false,
      errors: [`answer must have exactly one m=audio section, found ${media.length} m= sections`],
    };
  }
  const errors: string[] = [];
  const fingerprints = [...session, ...section].filter((l) =>
    splitAttribute(l)?.name === "fingerprint"
  );
  const fingerprint = fingerprints.find((l) => fingerprintOf(l)?.algorithm === "sha-256");
  if (!fingerprint) {
    const found = fingerprints.map((l) => fingerprintOf(l)?.algorithm ?? "malformed");
    errors.push(`answer has no sha-256 a=fingerprint (found: ${found.join(", ") || "none"})`);
  }
  const opusPt = findCodec(section, m.value.formats, "opus", 48000, 2);
  if (opusPt === undefined) errors.push("answer does not accept Opus (opus/48000/2)");
  const candidates = selectCandidates(
    getAttributes(section, "candidate").flatMap((v) => {
      const c = parseCandidate(v);
      return c.ok ? [c.value] : [];
    }),
    opts.publicIp,
  );
  if (candidates.length === 0) {
    errors.push("no usable candidate left in the answer (was ICE gathering complete?)");
  }
  const lines = keepOneSsrc(section.slice(1), opts.ssrc);
  if (typeof lines === "string") errors.push(lines);
  if (errors.length > 0 || !fingerprint || opusPt === undefined || typeof lines === "string") {
    return { ok: false, errors };
  }
  return {
    ok: true,
    value: {
      session,
      lines,
      mLine: m.value,
      fingerprint,
      opusPt,
      telephoneEventPt: findCodec(section, m.value.formats, "telephone-event", 8000),
      candidates,
      hasConnection: [...session, ...section].some((l) => l.type === "c"),
    },
  };
}

/** Rewrites lines valid at both levels: one sha-256 fingerprint, no ICE-lite or trickle, `c=`. */
function commonLines(
  lines: readonly SdpLine[],
  local: LocalAnswer,
  publicIp: string | undefined,
): SdpLine[] {
  const fingerprint = attribute(
    "fingerprint",
    `sha-256 ${fingerprintOf(local.fingerprint)!.value}`,
  );
  return withoutTrickle(removeAttribute(lines, "ice-lite")).flatMap((l) => {
    if (splitAttribute(l)?.name === "fingerprint") {
      return l === local.fingerprint ? [fingerprint] : [];
    }
    if (l.type === "c" && publicIp !== undefined) {
      return [{ type: "c", value: `IN IP4 ${publicIp}` }];
    }
    return [l];
  });
}

/** Session lines: BUNDLE of the offer's mid; setup and direction live in the media section. */
function sessionLines(
  local: LocalAnswer,
  offer: WhatsAppOffer,
  publicIp: string | undefined,
): SdpLine[] {
  const lines = commonLines(local.session, local, publicIp).filter((l) =>
    splitAttribute(l)?.name !== "setup" && !(l.type === "a" && DIRECTIONS.has(l.value))
  );
  return upsertLine(
    lines,
    (l) => bundleOf([l]) !== undefined,
    attribute("group", `BUNDLE ${offer.mid}`),
  );
}

/** The `m=` section: codecs, DTLS role, mid, direction, rtcp-mux, candidates and `c=`. */
function mediaSection(
  local: LocalAnswer,
  offer: WhatsAppOffer,
  publicIp: string | undefined,
): SdpLine[] {
  let lines = remapCodecs(local, commonLines(local.lines, local, publicIp), offer);
  lines = setAttribute(lines, "setup", "active");
  lines = setAttribute(lines, "mid", offer.mid);
  lines = upsertLine(
    lines,
    (l) => l.type === "a" && DIRECTIONS.has(l.value),
    attribute("sendrecv"),
  );
  if (!hasAttribute(lines, "rtcp-mux")) lines.push(attribute("rtcp-mux"));
  lines = placeCandidates(lines, local.candidates);
  // Meta's documented answer has c=IN IP4 0.0.0.0: ICE, not c=, finds the address.
  if (!local.hasConnection) lines.unshift({ type: "c", value: `IN IP4 ${publicIp ?? "0.0.0.0"}` });
  const port = publicIp === undefined
    ? local.mLine.port
    : local.candidates.find((c) => c.address === publicIp && c.transport.toLowerCase() === "udp")
      ?.port;
  const mLine = {
    ...local.mLine,
    port: port ?? local.mLine.port,
    formats: [offer.opusPt, offer.telephoneEventPt].map(String),
  };
  return [{ type: "m", value: formatMediaLine(mLine) }, ...lines];
}

/**
 * Turns a local WebRTC answer (werift `createAnswer` after ICE gathering
 * completed) into one that passes Meta's checklist (see
 * {@linkcode checkWhatsAppAnswer}), or reports why it cannot. Unknown lines
 * and their order are kept.
 */
export function shapeWhatsAppAnswer(
  answerSdp: string,
  offer: WhatsAppOffer,
  opts: ShapeOptions = {},
): ShapedAnswer {
  const errors = optionErrors(opts);
  const parsed = parseSdp(answerSdp);
  if (!parsed.ok) errors.push(`unparseable answer SDP: ${parsed.error}`);
  if (errors.length > 0 || !parsed.ok) return { ok: false, errors };
  const local = readLocalAnswer(parsed.value, opts);
  if (!local.ok) return local;

  const sdp = serializeSdp({
    session: sessionLines(local.value, offer, opts.publicIp),
    media: [mediaSection(local.value, offer, opts.publicIp)],
  });
  const violations = checkWhatsAppAnswer(sdp, offer);
  return violations.length === 0 ? { ok: true, sdp } : { ok: false, errors: violations };
}
