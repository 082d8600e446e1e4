/**
 * The SDP of a business-initiated call (issue 17): our OFFER, shaped to
 * Meta's rules, and Meta's ANSWER, checked before werift applies it.
 *
 * Meta's rules for the business offer
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/integration-patterns,
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/reference):
 * Opus only at 48 kHz with 20 ms packets plus `telephone-event/8000`, one
 * SSRC, exactly one `a=fingerprint:sha-256` (several earned 138008 in the
 * field), ICE-full (Meta is ICE-lite and always controlled), `a=setup:actpass`.
 * Meta does not trickle, so the offer carries its complete candidates.
 *
 * Meta's documented answer to an `actpass` offer is `a=setup:active` (Meta the
 * DTLS client) although its guide recommends the business be the client, and
 * implementers report answers echoing `actpass`: {@linkcode validateMetaAnswer}
 * accepts `active` and `passive` and reads `actpass` as `active`.
 *
 * @module
 */

import { addressScope } from "./ip_scope.ts";
import {
  type Candidate,
  excerpt,
  formatMediaLine,
  getAttribute,
  getAttributes,
  hasAttribute,
  parseCandidate,
  parseMediaLine,
  parseRtpmap,
  parseSdp,
  removeAttribute,
  type SdpLine,
  type SdpSection,
  serializeSdp,
  setAttribute,
  splitAttribute,
} from "./sdp.ts";
import {
  bundleOf,
  checkIceCredential,
  findCodec,
  fingerprintOf,
  inherited,
  parseSsrc,
  WHATSAPP_PROTO,
} from "./whatsapp_attributes.ts";
import {
  keepOneSsrc,
  placeCandidates,
  selectCandidates,
  type ShapedAnswer,
  withoutTrickle,
} from "./whatsapp_answer.ts";

/** Payload types of our offer: those of Meta's own sample offer (Opus 111, telephone-event 126). */
export const BUSINESS_OFFER_CODECS = {
  opusPt: 111,
  telephoneEventPt: 126,
  /** Meta's production Opus parameters, minus the capture hints. */
  opusFmtp: "minptime=20;useinbandfec=1",
} as const;

/** Options of {@linkcode shapeBusinessOffer}. */
export interface BusinessOfferOptions {
  /** Public IPv4 of a 1:1-NAT host: moves private host candidates onto it. */
  publicIp?: string | undefined;
  /** The SSRC we send with. */
  ssrc?: number | undefined;
}

/** Only Opus/48000/2 and telephone-event/8000 survive; every other codec line goes. */
function onlyMetaCodecs(lines: readonly SdpLine[], keep: ReadonlySet<string>): SdpLine[] {
  return lines.filter((line) => {
    const attr = splitAttribute(line);
    if (!attr || attr.value === undefined) return true;
    if (attr.name !== "rtpmap" && attr.name !== "fmtp" && attr.name !== "rtcp-fb") return true;
    return keep.has(attr.value.trim().split(/[ \t]/, 1)[0]!);
  });
}

/**
 * Turns werift's local offer (after complete gathering) into one that meets
 * Meta's rules for a business offer, then checks it with
 * {@linkcode checkBusinessOffer}; reports every reason it cannot.
 */
export function shapeBusinessOffer(
  localOffer: string,
  opts: BusinessOfferOptions = {},
): ShapedAnswer {
  const parsed = parseSdp(localOffer);
  if (!parsed.ok) return { ok: false, errors: [`unparseable offer: ${parsed.error}`] };
  const { session, media } = parsed.value;
  const section = media[0];
  const m = section && media.length === 1 ? parseMediaLine(section[0]!.value) : undefined;
  if (!section || !m?.ok || m.value.media !== "audio") {
    return { ok: false, errors: ["the local offer must have exactly one m=audio section"] };
  }
  const { opusPt, telephoneEventPt } = BUSINESS_OFFER_CODECS;
  const keep = new Set([String(opusPt), String(telephoneEventPt)]);
  const fingerprint = [...session, ...section].find((l) =>
    fingerprintOf(l)?.algorithm === "sha-256"
  );
  if (!fingerprint) return { ok: false, errors: ["the local offer has no sha-256 fingerprint"] };
  const oneFingerprint = (lines: readonly SdpLine[]) =>
    lines.filter((l) => splitAttribute(l)?.name !== "fingerprint" || l === fingerprint);
  const clean = (lines: readonly SdpLine[]) =>
    oneFingerprint(withoutTrickle(removeAttribute(
      removeAttribute(lines, "ice-lite"),
      "extmap-allow-mixed",
    )));
  const ssrcLines = keepOneSsrc(section.slice(1), opts.ssrc);
  if (typeof ssrcLines === "string") return { ok: false, errors: [ssrcLines] };
  const candidates = selectCandidates(
    getAttributes(section, "candidate").flatMap((v) => {
      const c = parseCandidate(v);
      return c.ok ? [c.value] : [];
    }),
    opts.publicIp,
  );
  if (candidates.length === 0) return { ok: false, errors: ["no usable candidate was gathered"] };
  let lines = onlyMetaCodecs(clean(removeAttribute(ssrcLines, "extmap")), keep);
  lines = setAttribute(lines, "setup", "actpass");
  lines = setAttribute(lines, "ptime", "20");
  lines = setAttribute(lines, "maxptime", "20");
  lines = placeCandidates(lines, candidates);
  if (opts.publicIp !== undefined) {
    lines = lines.map((l) => l.type === "c" ? { type: "c", value: `IN IP4 ${opts.publicIp}` } : l);
  }
  const port = candidates.find((c) => c.type === "host")?.port ?? candidates[0]!.port;
  const mLine = formatMediaLine({ ...m.value, port, formats: [...keep] });
  const sdp = serializeSdp({
    session: clean(session).filter((l) => splitAttribute(l)?.name !== "setup"),
    media: [[{ type: "m", value: mLine }, ...lines]],
  });
  const errors = checkBusinessOffer(sdp);
  return errors.length === 0 ? { ok: true, sdp } : { ok: false, errors };
}

/** Codec problems: exactly Opus/48000/2 and telephone-event/8000, nothing else. */
function codecErrors(section: SdpSection, formats: readonly string[]): string[] {
  const errors: string[] = [];
  const opus = findCodec(section, formats, "opus", 48000, 2);
  if (opus === undefined) errors.push("Opus (opus/48000/2) is not offered");
  if (findCodec(section, formats, "telephone-event", 8000) === undefined) {
    errors.push("telephone-event/8000 is not offered");
  }
  for (const value of getAttributes(section, "rtpmap")) {
    const r = parseRtpmap(value);
    if (!r.ok) continue;
    const name = r.value.encodingName.toLowerCase();
    const ok = (name === "opus" && r.value.clockRate === 48000) ||
      (name === "telephone-event" && r.value.clockRate === 8000);
    if (!ok) {
      errors.push(
        `only Opus/48000 and telephone-event/8000 may be offered, found ${excerpt(value)}`,
      );
    }
  }
  if (formats.length !== 2) {
    errors.push(`m=audio must list exactly 2 payload types, lists ${formats.join(" ")}`);
  }
  const ptime = getAttribute(section, "ptime");
  if (ptime !== undefined && ptime.trim() !== "20") errors.push(`a=ptime must be 20, got ${ptime}`);
  return errors;
}

/**
 * Every way `sdp` breaks Meta's rules for a business offer (empty when it
 * meets them): one m=audio on UDP/TLS/RTP/SAVPF, only Opus/48000 and
 * telephone-event/8000, 20 ms, one SSRC, exactly one sha-256 fingerprint,
 * `a=setup:actpass`, ICE-full with credentials, no trickle, candidates.
 */
export function checkBusinessOffer(sdp: string): string[] {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return [`unparseable offer: ${parsed.error}`];
  const { session, media } = parsed.value;
  const section = media[0];
  const m = section ? parseMediaLine(section[0]!.value) : undefined;
  if (media.length !== 1 || !section || !m?.ok || m.value.media !== "audio") {
    return [`expected exactly one m=audio section, found ${media.length} m= sections`];
  }
  const errors: string[] = [];
  if (m.value.proto !== WHATSAPP_PROTO) errors.push(`transport must be ${WHATSAPP_PROTO}`);
  errors.push(...codecErrors(section, m.value.formats));
  const all = [...session, ...section];
  const fingerprints = all.filter((l) => splitAttribute(l)?.name === "fingerprint");
  if (fingerprints.length !== 1 || fingerprintOf(fingerprints[0]!)?.algorithm !== "sha-256") {
    errors.push(`expected exactly one a=fingerprint:sha-256, found ${fingerprints.length}`);
  }
  const ssrcs = new Set(
    getAttributes(section, "ssrc").map((v) => parseSsrc(v)?.id).filter((id) => id !== undefined),
  );
  if (ssrcs.size !== 1) errors.push(`expected a single SSRC, found ${ssrcs.size}`);
  if (hasAttribute(section, "ssrc-group")) errors.push("a=ssrc-group is not allowed");
  const setup = inherited(session, section, "setup");
  if (setup !== "actpass") errors.push(`a=setup must be actpass, got ${setup ?? "none"}`);
  if (hasAttribute(all, "ice-lite")) errors.push("the business must be ICE-full (no a=ice-lite)");
  if (getAttributes(all, "ice-options").some((v) => v.split(/\s+/).includes("trickle"))) {
    errors.push("Meta does not trickle: a=ice-options:trickle must not be offered");
  }
  for (
    const e of [
      checkIceCredential("ice-ufrag", inherited(session, section, "ice-ufrag"), 4),
      checkIceCredential("ice-pwd", inherited(session, section, "ice-pwd"), 22),
    ]
  ) if (e) errors.push(e);
  if (usableCandidates(section).length === 0) errors.push("the offer carries no usable candidate");
  if (!hasAttribute(section, "rtcp-mux")) errors.push("missing a=rtcp-mux");
  return errors;
}

function usableCandidates(section: SdpSection): Candidate[] {
  return getAttributes(section, "candidate").flatMap((v) => {
    const c = parseCandidate(v);
    if (!c.ok) return [];
    const scope = addressScope(c.value.address);
    const ok = c.value.transport.toLowerCase() === "udp" && c.value.component === 1 &&
      c.value.port > 0 && scope !== "hostname" && scope !== "unspecified";
    return ok ? [c.value] : [];
  });
}

/** Meta's answer as werift may apply it. */
export interface MetaAnswer {
  /** The answer to apply: `actpass` already read as `active`. */
  sdp: string;
  /** Meta's DTLS role: `active` (Meta the client, we serve) or `passive` (we are the client). */
  setup: "active" | "passive";
  /** Meta answered `actpass`, which an answer may not: read as `active`. */
  setupCoerced: boolean;
  /** Meta is ICE-lite (documented): we stay controlling either way. */
  iceLite: boolean;
  candidates: Candidate[];
}

/** Result of {@linkcode validateMetaAnswer}. */
export type AnswerValidation = { ok: true; answer: MetaAnswer } | { ok: false; errors: string[] };

/**
 * Checks Meta's SDP answer to our offer (the `connect` webhook's `session`):
 * one m=audio, Opus on our payload type, one fingerprint (sha-256), ICE
 * credentials, a DTLS role, a usable candidate. Reports every problem.
 */
export function validateMetaAnswer(sdp: string): AnswerValidation {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return { ok: false, errors: [`unparseable answer: ${parsed.error}`] };
  const { session, media } = parsed.value;
  const section = media[0];
  const m = section ? parseMediaLine(section[0]!.value) : undefined;
  if (media.length !== 1 || !section || !m?.ok || m.value.media !== "audio") {
    return { ok: false, errors: [`expected one m=audio section, found ${media.length}`] };
  }
  const errors: string[] = [];
  const opus = findCodec(section, m.value.formats, "opus", 48000, 2);
  if (opus !== BUSINESS_OFFER_CODECS.opusPt) {
    errors.push(`answer must accept Opus on payload type ${BUSINESS_OFFER_CODECS.opusPt}`);
  }
  const all = [...session, ...section];
  const fingerprints = all.filter((l) => fingerprintOf(l)?.algorithm === "sha-256");
  if (fingerprints.length !== 1) {
    errors.push(`expected one a=fingerprint:sha-256, found ${fingerprints.length}`);
  }
  for (
    const e of [
      checkIceCredential("ice-ufrag", inherited(session, section, "ice-ufrag"), 4),
      checkIceCredential("ice-pwd", inherited(session, section, "ice-pwd"), 22),
    ]
  ) if (e) errors.push(e);
  const setup = inherited(session, section, "setup");
  if (setup !== "active" && setup !== "passive" && setup !== "actpass") {
    errors.push(`a=setup must be active or passive, got ${setup ?? "none"}`);
  }
  const candidates = usableCandidates(section);
  if (candidates.length === 0) errors.push("the answer carries no usable candidate");
  const mid = getAttribute(section, "mid");
  const bundle = bundleOf(session);
  if (mid !== undefined && bundle !== undefined && !bundle.includes(mid)) {
    errors.push(`a=group:BUNDLE does not include mid ${excerpt(mid)}`);
  }
  if (errors.length > 0) return { ok: false, errors };
  const coerced = setup === "actpass";
  const fixed = coerced
    ? serializeSdp({
      session: session.filter((l) => splitAttribute(l)?.name !== "setup"),
      media: [setAttribute(section, "setup", "active")],
    })
    : sdp;
  return {
    ok: true,
    answer: {
      sdp: fixed,
      setup: coerced ? "active" : setup as "active" | "passive",
      setupCoerced: coerced,
      iceLite: hasAttribute(all, "ice-lite"),
      candidates,
    },
  };
}
