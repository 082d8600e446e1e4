/**
 * Meta's checklist for our SDP answer (reference §3.3) as a table of named
 * rules, {@linkcode WHATSAPP_ANSWER_CHECKLIST}, and
 * {@linkcode checkWhatsAppAnswer}, which runs them all.
 *
 * Each rule checks one line of the checklist and reports at most one problem
 * (several offending lines of one rule are joined with `; `), so a test can
 * break exactly one rule and see exactly one problem.
 *
 * @module
 */

import { addressScope } from "./ip_scope.ts";
import {
  excerpt,
  getAttributes,
  hasAttribute,
  type MediaLine,
  parseCandidate,
  parseMediaLine,
  parseSdp,
  type Result,
  type SdpLine,
  type SdpSection,
  splitAttribute,
} from "./sdp.ts";
import {
  bundleOf,
  checkIceCredential,
  CODEC_ATTRIBUTES,
  directionsOf,
  findCodec,
  type Fingerprint,
  fmtpOf,
  head,
  inherited,
  parseFingerprint,
  parseSsrc,
  SHA256_BYTES,
  WHATSAPP_PROTO,
} from "./whatsapp_attributes.ts";
import type { WhatsAppOffer } from "./whatsapp_offer.ts";

/** What {@linkcode checkWhatsAppAnswer} compares against; defaults are Meta's usual values. */
export type AnswerExpectations = Partial<
  Pick<WhatsAppOffer, "mid" | "opusPt" | "telephoneEventPt" | "opusFmtp">
>;

/** An answer read for the checklist: its single media section and what it must match. */
export interface AnswerUnderCheck {
  /** Session-level lines. */
  session: readonly SdpLine[];
  /** The one media section, `m=` line first. */
  section: SdpSection;
  /** The parsed `m=` line. */
  mLine: MediaLine;
  /** Session lines, then media lines. */
  all: readonly SdpLine[];
  /** Expectations with defaults applied (mid `audio`, Opus 111, telephone-event 126). */
  expected: Required<Pick<AnswerExpectations, "mid" | "opusPt" | "telephoneEventPt">> & {
    opusFmtp?: string;
  };
}

/** Names of the checklist rules, one per line of Meta's checklist. */
export type AnswerRuleName =
  | "audio-media"
  | "dtls-srtp-transport"
  | "payload-types"
  | "only-opus-and-dtmf"
  | "opus-rtpmap"
  | "telephone-event-rtpmap"
  | "opus-fmtp"
  | "one-fingerprint"
  | "fingerprint-sha-256"
  | "fingerprint-bytes"
  | "setup-active"
  | "mid"
  | "bundle"
  | "rtcp-mux"
  | "sendrecv"
  | "single-ssrc"
  | "ssrc-cname"
  | "no-ssrc-group"
  | "ice-full"
  | "no-trickle"
  | "ice-ufrag"
  | "ice-pwd"
  | "connection-line"
  | "candidates-present"
  | "end-of-candidates"
  | "candidates-well-formed"
  | "candidates-reachable";

/** One line of Meta's answer checklist. */
export interface AnswerRule {
  readonly name: AnswerRuleName;
  /** The requirement, in words. */
  readonly description: string;
  /** The problem when `answer` breaks the rule, else `undefined`. */
  readonly check: (answer: AnswerUnderCheck) => string | undefined;
}

function joined(problems: readonly string[]): string | undefined {
  return problems.length === 0 ? undefined : problems.join("; ");
}

/** `problem` unless the rule holds. */
function unless(holds: boolean, problem: string): string | undefined {
  return holds ? undefined : problem;
}

function payloadTypes({ expected }: AnswerUnderCheck): [string, string] {
  return [String(expected.opusPt), String(expected.telephoneEventPt)];
}

function ssrcIds(section: SdpSection): Set<number | string> {
  return new Set(getAttributes(section, "ssrc").map((v) => parseSsrc(v)?.id ?? v));
}

/** Joined problems of the `a=fingerprint` values, each found by `problemOf`. */
function fingerprintProblems(
  all: readonly SdpLine[],
  problemOf: (fp: Fingerprint | undefined, value: string) => string | undefined,
): string | undefined {
  return joined(
    getAttributes(all, "fingerprint").flatMap((v) => problemOf(parseFingerprint(v), v) ?? []),
  );
}

function reachability(section: SdpSection): string | undefined {
  const candidates = getAttributes(section, "candidate").map(parseCandidate)
    .flatMap((c) => (c.ok ? [c.value] : []));
  // A loopback-only answer is kept: there is nothing better to offer (local tests).
  const someRoutable = candidates.some((c) => addressScope(c.address) !== "loopback");
  return joined(candidates.flatMap((c) => {
    const scope = addressScope(c.address);
    const unreachable = scope === "link-local" || scope === "hostname" ||
      scope === "unspecified" || (scope === "loopback" && someRoutable);
    return unreachable ? [`candidate address ${c.address} is ${scope}, unreachable for Meta`] : [];
  }));
}

function endOfCandidates(section: SdpSection): string | undefined {
  const last = section.findLastIndex((l) => splitAttribute(l)?.name === "candidate");
  const end = section.findIndex((l) => l.type === "a" && l.value === "end-of-candidates");
  if (end < 0) return "missing a=end-of-candidates";
  return unless(end > last, "a=end-of-candidates must follow the last a=candidate");
}

function connectionLine({ all }: AnswerUnderCheck): string | undefined {
  const values = all.flatMap((l) => (l.type === "c" ? [l.value] : []));
  if (values.length === 0) return "missing c= line (RFC 8866 requires a connection address)";
  return joined(
    values.filter((v) => !/^IN IP[46] \S+$/.test(v))
      .map((v) => `c= must be "IN IP4|IP6 <address>", got ${excerpt(v)}`),
  );
}

/** Meta's answer checklist, in the order problems are reported. */
export const WHATSAPP_ANSWER_CHECKLIST: readonly AnswerRule[] = [
  {
    name: "audio-media",
    description: "the one m= section is audio",
    check: ({ mLine }) =>
      unless(mLine.media === "audio", `m= section is ${mLine.media}, expected audio`),
  },
  {
    name: "dtls-srtp-transport",
    description: `m=audio uses ${WHATSAPP_PROTO} (DTLS-SRTP, as offered)`,
    check: ({ mLine: { proto } }) =>
      unless(
        proto === WHATSAPP_PROTO,
        `m=audio transport must be ${WHATSAPP_PROTO}, got ${proto}`,
      ),
  },
  {
    name: "payload-types",
    description: "m=audio lists exactly the offer's Opus and telephone-event payload types",
    check: (a) => {
      const [wanted, got] = [payloadTypes(a).join(" "), a.mLine.formats.join(" ")];
      return unless(got === wanted, `m=audio must list payload types ${wanted}, got ${got}`);
    },
  },
  {
    name: "only-opus-and-dtmf",
    description: "no rtpmap/fmtp/rtcp-fb for other codecs (G722, RED, CN, rtx, …)",
    check: (a) => {
      const wanted: string[] = payloadTypes(a);
      return joined(
        [...CODEC_ATTRIBUTES].flatMap((name) =>
          getAttributes(a.section, name).map(head)
            .filter((pt) => pt !== "*" && !wanted.includes(pt))
            .map((pt) => `a=${name}:${pt} is for a codec other than Opus/DTMF`)
        ),
      );
    },
  },
  {
    name: "opus-rtpmap",
    description: "Opus is mapped as opus/48000/2 on the offer's payload type",
    check: (a) => {
      const [opus] = payloadTypes(a);
      const found = findCodec(a.section, [opus], "opus", 48000, 2) !== undefined;
      return unless(found, `missing a=rtpmap:${opus} opus/48000/2`);
    },
  },
  {
    name: "telephone-event-rtpmap",
    description: "DTMF is kept as telephone-event/8000 on the offer's payload type",
    check: (a) => {
      const [, dtmf] = payloadTypes(a);
      const found = findCodec(a.section, [dtmf], "telephone-event", 8000) !== undefined;
      return unless(found, `missing a=rtpmap:${dtmf} telephone-event/8000`);
    },
  },
  {
    name: "opus-fmtp",
    description: "the Opus fmtp is the offer's, when the offer is known",
    check: ({ section, expected: { opusPt, opusFmtp } }) => {
      const got = fmtpOf(section, opusPt);
      return unless(
        opusFmtp === undefined || got === opusFmtp,
        `a=fmtp:${opusPt} must be the offer's ${excerpt(opusFmtp ?? "")}, got ${
          excerpt(got ?? "")
        }`,
      );
    },
  },
  {
    name: "one-fingerprint",
    description: "exactly one a=fingerprint (several cause error 138008)",
    check: ({ all }) => {
      const count = getAttributes(all, "fingerprint").length;
      return unless(count === 1, `expected exactly one a=fingerprint, found ${count}`);
    },
  },
  {
    name: "fingerprint-sha-256",
    description: "every a=fingerprint is sha-256",
    check: ({ all }) =>
      fingerprintProblems(all, (fp, value) =>
        unless(
          fp?.algorithm === "sha-256",
          `fingerprint hash must be sha-256, got ${fp?.algorithm ?? excerpt(value)}`,
        )),
  },
  {
    name: "fingerprint-bytes",
    description: "a sha-256 fingerprint has 32 colon-separated hex bytes",
    check: ({ all }) =>
      fingerprintProblems(all, (fp) =>
        unless(
          fp?.algorithm !== "sha-256" || SHA256_BYTES.test(fp.value),
          "sha-256 fingerprint must be 32 colon-separated hex bytes",
        )),
  },
  {
    name: "setup-active",
    description: "exactly one a=setup, and it is active: we are the DTLS client",
    check: ({ all }) => {
      const setups = getAttributes(all, "setup");
      return unless(
        setups.length === 1 && setups[0] === "active",
        `a=setup must be active, got ${setups.join(", ") || "none"}`,
      );
    },
  },
  {
    name: "mid",
    description: "exactly one a=mid, the offer's",
    check: ({ section, expected: { mid } }) => {
      const mids = getAttributes(section, "mid");
      return unless(
        mids.length === 1 && mids[0] === mid,
        `a=mid must be ${mid}, got ${mids.join(", ") || "none"}`,
      );
    },
  },
  {
    name: "bundle",
    description: "a=group:BUNDLE holds exactly the offer's mid",
    check: ({ session, expected: { mid } }) => {
      const bundle = bundleOf(session)?.join(" ");
      return unless(
        bundle === mid,
        `a=group:BUNDLE must be ${excerpt(mid)}, got ${bundle ? excerpt(bundle) : "none"}`,
      );
    },
  },
  {
    name: "rtcp-mux",
    description: "a=rtcp-mux: RTP and RTCP share one port",
    check: ({ section }) => unless(hasAttribute(section, "rtcp-mux"), "missing a=rtcp-mux"),
  },
  {
    name: "sendrecv",
    description: "exactly one direction attribute, sendrecv",
    check: ({ all }) => {
      const directions = directionsOf(all);
      return unless(
        directions.join() === "sendrecv",
        `direction must be sendrecv, got ${directions.join(", ") || "none"}`,
      );
    },
  },
  {
    name: "single-ssrc",
    description: "a single SSRC (Meta's relay rewrites it; several corrupt the media)",
    check: ({ section }) => {
      const count = ssrcIds(section).size;
      return unless(count === 1, `expected exactly one SSRC, found ${count}`);
    },
  },
  {
    name: "ssrc-cname",
    description: "the single SSRC has a cname",
    check: ({ section }) =>
      unless(
        ssrcIds(section).size !== 1 ||
          getAttributes(section, "ssrc").some((v) => parseSsrc(v)?.attribute === "cname"),
        "a=ssrc has no cname",
      ),
  },
  {
    name: "no-ssrc-group",
    description: "no a=ssrc-group (no rtx/FID stream beside the single SSRC)",
    check: ({ section }) =>
      unless(!hasAttribute(section, "ssrc-group"), "a=ssrc-group is not allowed (single SSRC)"),
  },
  {
    name: "ice-full",
    description: "no a=ice-lite: Meta is ICE-lite, so we are ICE-full and controlling",
    check: ({ all }) =>
      unless(!hasAttribute(all, "ice-lite"), "a=ice-lite must not be present (be ICE-full)"),
  },
  {
    name: "no-trickle",
    description: "no trickle ICE: the answer carries every candidate",
    check: ({ all }) =>
      unless(
        !getAttributes(all, "ice-options").some((v) => v.split(/[ \t]+/).includes("trickle")),
        "a=ice-options must not announce trickle",
      ),
  },
  {
    name: "ice-ufrag",
    description: "a=ice-ufrag present, 4–256 visible characters",
    check: ({ session, section }) =>
      checkIceCredential("ice-ufrag", inherited(session, section, "ice-ufrag"), 4),
  },
  {
    name: "ice-pwd",
    description: "a=ice-pwd present, 22–256 visible characters",
    check: ({ session, section }) =>
      checkIceCredential("ice-pwd", inherited(session, section, "ice-pwd"), 22),
  },
  {
    name: "connection-line",
    description: "a c= line (IN IP4|IP6 <address>), as in Meta's documented answer",
    check: connectionLine,
  },
  {
    name: "candidates-present",
    description: "the complete set of candidates is in the answer",
    check: ({ section }) =>
      unless(
        hasAttribute(section, "candidate"),
        "no a=candidate lines (include the complete set)",
      ),
  },
  {
    name: "end-of-candidates",
    description: "a=end-of-candidates after the last candidate",
    check: ({ section }) => endOfCandidates(section),
  },
  {
    name: "candidates-well-formed",
    description: "every a=candidate parses",
    check: ({ section }) =>
      joined(
        getAttributes(section, "candidate").map(parseCandidate)
          .flatMap((c) => (c.ok ? [] : [`malformed a=candidate: ${c.error}`])),
      ),
  },
  {
    name: "candidates-reachable",
    description: "no link-local, mDNS/hostname, unspecified, or loopback-beside-routable candidate",
    check: ({ section }) => reachability(section),
  },
];

/**
 * Reads `sdp` for the checklist: it must parse and hold exactly one media
 * section with a well-formed `m=` line, or no rule can be applied.
 */
export function readAnswer(
  sdp: string,
  expected: AnswerExpectations = {},
): Result<AnswerUnderCheck> {
  const parsed = parseSdp(sdp);
  if (!parsed.ok) return { ok: false, error: `unparseable SDP: ${parsed.error}` };
  const { session, media } = parsed.value;
  if (media.length !== 1) {
    return { ok: false, error: `expected exactly one m= section, found ${media.length}` };
  }
  const section = media[0]!;
  const m = parseMediaLine(section[0]!.value);
  if (!m.ok) return m;
  const { mid = "audio", opusPt = 111, telephoneEventPt = 126, opusFmtp } = expected;
  return {
    ok: true,
    value: {
      session,
      section,
      mLine: m.value,
      all: [...session, ...section],
      expected: opusFmtp === undefined
        ? { mid, opusPt, telephoneEventPt }
        : { mid, opusPt, telephoneEventPt, opusFmtp },
    },
  };
}

/**
 * Meta's answer checklist as a validator: returns every problem, or `[]` when
 * the answer passes. `expected` defaults to mid `audio`, Opus 111 and
 * telephone-event 126; pass the offer to compare the Opus fmtp too.
 */
export function checkWhatsAppAnswer(sdp: string, expected: AnswerExpectations = {}): string[] {
  const answer = readAnswer(sdp, expected);
  if (!answer.ok) return [answer.error];
  return WHATSAPP_ANSWER_CHECKLIST.flatMap((rule) => rule.check(answer.value) ?? []);
}
