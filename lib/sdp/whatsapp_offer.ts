/**
 * Validation of Meta's WhatsApp SDP offer (reference §3.1–3.2): Meta is
 * ICE-lite and DTLS `actpass`, and offers one `m=audio` with Opus and
 * telephone-event. {@linkcode validateWhatsAppOffer} extracts what the answer
 * and the media path need.
 *
 * @module
 */

import { addressScope } from "./ip_scope.ts";
import {
  type Candidate,
  excerpt,
  getAttribute,
  getAttributes,
  hasAttribute,
  type MediaLine,
  parseCandidate,
  parseMediaLine,
  parseSdp,
  type Sdp,
  type SdpSection,
} from "./sdp.ts";
import {
  bundleOf,
  checkIceCredential,
  directionsOf,
  findCodec,
  type Fingerprint,
  fmtpOf,
  inherited,
  parseFingerprint,
  parseSsrc,
  SHA256_BYTES,
  WHATSAPP_PROTO,
} from "./whatsapp_attributes.ts";

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

function isUsable(c: Candidate): boolean {
  const scope = addressScope(c.address);
  return c.transport.toLowerCase() === "udp" && c.component === 1 && c.port > 0 &&
    scope !== "hostname" && scope !== "unspecified";
}

/** Problems of the section list and the audio `m=` line. */
function mediaErrors(media: readonly SdpSection[], m: MediaLine): string[] {
  const errors: string[] = [];
  if (media.length !== 1) {
    const kinds = media.map((s) => {
      const parsed = parseMediaLine(s[0]!.value);
      return parsed.ok ? parsed.value.media : "malformed";
    });
    errors.push(
      `expected exactly one m= section (audio), found ${media.length}: ${kinds.join(", ")}`,
    );
  }
  if (m.proto !== WHATSAPP_PROTO) {
    errors.push(`m=audio transport must be ${WHATSAPP_PROTO}, got ${m.proto}`);
  }
  return errors;
}

/** The single fingerprint, or why there is none Meta's DTLS could be checked against. */
function offerFingerprint(sdp: Sdp, section: SdpSection): Fingerprint | string {
  const values = [
    ...getAttributes(sdp.session, "fingerprint"),
    ...getAttributes(section, "fingerprint"),
  ];
  if (values.length !== 1) {
    return values.length === 0
      ? "missing a=fingerprint"
      : `expected exactly one a=fingerprint, found ${values.length}`;
  }
  const fingerprint = parseFingerprint(values[0]!);
  if (!fingerprint) return `a=fingerprint must be "<hash> <hex bytes>", got ${excerpt(values[0]!)}`;
  if (fingerprint.algorithm !== "sha-256") {
    return `fingerprint hash must be sha-256, got ${fingerprint.algorithm}`;
  }
  if (!SHA256_BYTES.test(fingerprint.value)) {
    return `sha-256 fingerprint must be 32 colon-separated hex bytes, got ${
      excerpt(fingerprint.value)
    }`;
  }
  return fingerprint;
}

/** Problems of DTLS role, mid/BUNDLE, rtcp-mux and direction. */
function streamErrors(sdp: Sdp, section: SdpSection): string[] {
  const errors: string[] = [];
  const setup = inherited(sdp.session, section, "setup");
  if (setup === undefined) errors.push("missing a=setup");
  else if (setup !== "actpass" && setup !== "passive") {
    errors.push(`a=setup must be actpass or passive (we answer active), got ${setup}`);
  }
  const mid = getAttribute(section, "mid");
  const bundle = bundleOf(sdp.session);
  if (mid === undefined) errors.push("missing a=mid");
  if (bundle === undefined) errors.push("missing a=group:BUNDLE");
  else if (mid !== undefined && !bundle.includes(mid)) {
    errors.push(`a=group:BUNDLE ${bundle.join(" ")} does not include mid ${excerpt(mid)}`);
  }
  if (!hasAttribute(section, "rtcp-mux")) errors.push("missing a=rtcp-mux");
  const direction = directionsOf(section)[0] ?? directionsOf(sdp.session)[0] ?? "sendrecv";
  if (direction !== "sendrecv") errors.push(`offer direction must be sendrecv, got ${direction}`);
  return errors;
}

/** The usable candidates, or why none is. */
function offerCandidates(section: SdpSection): Candidate[] | string {
  const candidates: Candidate[] = [];
  let ignored = 0;
  let malformed = 0;
  for (const value of getAttributes(section, "candidate")) {
    const c = parseCandidate(value);
    if (!c.ok) malformed++;
    else if (isUsable(c.value)) candidates.push(c.value);
    else ignored++;
  }
  if (candidates.length > 0) return candidates;
  return `no usable candidate (need UDP, component 1, an IP address and a port): ` +
    `${ignored} unusable, ${malformed} malformed`;
}

/**
 * Validates a WhatsApp SDP offer and extracts what the answer and the media
 * path need. Every problem found is reported, each naming what is wrong.
 */
export function validateWhatsAppOffer(sdp: string): OfferValidation {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return { ok: false, errors: [`unparseable SDP: ${parsed.error}`] };
  const { session, media } = parsed.value;
  const section = media.find((s) => {
    const m = parseMediaLine(s[0]!.value);
    return m.ok && m.value.media === "audio";
  });
  const m = section && parseMediaLine(section[0]!.value);
  if (section === undefined || !m?.ok) return { ok: false, errors: ["no m=audio section"] };
  const errors = mediaErrors(media, m.value);

  const opusPt = findCodec(section, m.value.formats, "opus", 48000, 2);
  if (opusPt === undefined) errors.push("Opus (opus/48000/2) is not offered");
  const telephoneEventPt = findCodec(section, m.value.formats, "telephone-event", 8000);
  if (telephoneEventPt === undefined) errors.push("telephone-event/8000 is missing");

  const iceUfrag = inherited(session, section, "ice-ufrag");
  const icePwd = inherited(session, section, "ice-pwd");
  for (
    const error of [
      checkIceCredential("ice-ufrag", iceUfrag, 4),
      checkIceCredential("ice-pwd", icePwd, 22),
    ]
  ) {
    if (error) errors.push(error);
  }
  const fingerprint = offerFingerprint(parsed.value, section);
  if (typeof fingerprint === "string") errors.push(fingerprint);
  errors.push(...streamErrors(parsed.value, section));
  const candidates = offerCandidates(section);
  if (typeof candidates === "string") errors.push(candidates);

  if (
    errors.length > 0 || opusPt === undefined || telephoneEventPt === undefined ||
    typeof fingerprint === "string" || typeof candidates === "string"
  ) {
    return { ok: false, errors };
  }
  const ssrc = getAttributes(section, "ssrc").map(parseSsrc).find((s) => s !== undefined)?.id;
  const opusFmtp = fmtpOf(section, opusPt);
  const offer: WhatsAppOffer = {
    sdp: parsed.value,
    opusPt,
    telephoneEventPt,
    mid: getAttribute(section, "mid")!,
    bundle: bundleOf(session)!,
    iceUfrag: iceUfrag!,
    icePwd: icePwd!,
    iceLite: hasAttribute(session, "ice-lite") || hasAttribute(section, "ice-lite"),
    fingerprint,
    setup: inherited(session, section, "setup")!,
    candidates,
  };
  if (opusFmtp !== undefined) offer.opusFmtp = opusFmtp;
  if (ssrc !== undefined) offer.ssrc = ssrc;
  return { ok: true, offer };
}
