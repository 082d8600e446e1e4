/**
 * Fuzz targets for SDP: the line parser and its attribute parsers, Meta
 * offer validation (what every `connect` webhook's SDP goes through before
 * werift sees it), and the answer checklist.
 *
 * @module
 */
import { isDeepStrictEqual } from "node:util";
import {
  MAX_SDP_LENGTH,
  parseCandidate,
  parseFmtp,
  parseMediaLine,
  parseRtcpFb,
  parseRtpmap,
  parseSdp,
  type Result,
  type SdpLine,
  serializeSdp,
  splitAttribute,
} from "../lib/sdp/sdp.ts";
import { validateWhatsAppOffer } from "../lib/sdp/whatsapp_offer.ts";
import { checkWhatsAppAnswer } from "../lib/sdp/whatsapp_checklist.ts";
import { GOOD_ANSWER } from "../lib/sdp/whatsapp_test_utils.ts";
import { sdpOffers } from "./corpus.ts";
import { mutateText } from "./mutate_text.ts";
import type { Rng } from "./rng.ts";
import { defineTarget, expect, type FuzzTarget, havoc } from "./target.ts";

const textMutant = (rng: Rng, seeds: readonly string[]) => havoc(rng, seeds, mutateText);
const asIs = (text: string) => text;

const ATTRIBUTE_PARSERS: Readonly<Record<string, (value: string) => Result<unknown>>> = {
  rtpmap: parseRtpmap,
  fmtp: parseFmtp,
  "rtcp-fb": parseRtcpFb,
  candidate: parseCandidate,
};

function checkResult(r: Result<unknown>, what: string): void {
  expect(r.ok || (typeof r.error === "string" && r.error !== ""), `${what}: empty error`);
}

/** Runs the value parser of `line`, if it has one. */
function checkLine(line: SdpLine): void {
  expect(/^[a-z]$/.test(line.type) && !/[\r\n\0]/.test(line.value), "malformed line kept");
  expect(line.value === line.value.trimEnd(), "trailing whitespace kept");
  if (line.type === "m") return checkResult(parseMediaLine(line.value), "m=");
  const attr = splitAttribute(line);
  const parse = attr?.value === undefined ? undefined : ATTRIBUTE_PARSERS[attr.name];
  if (parse) checkResult(parse(attr!.value!), `a=${attr!.name}`);
}

/**
 * `lib/sdp/sdp.ts`: `parseSdp` and the attribute parsers return results
 * (never throw); a parsed SDP serializes to text that parses to the same.
 */
export const sdpTarget: FuzzTarget = defineTarget({
  name: "sdp",
  about: "parseSdp and attribute parsers: results only; parse(serialize(x)) = x",
  seeds: sdpOffers,
  generate: textMutant,
  check(text) {
    const r = parseSdp(text);
    checkResult(r, "parseSdp");
    if (!r.ok) return;
    const lines = [r.value.session, ...r.value.media].flat();
    lines.forEach(checkLine);
    const serialized = serializeSdp(r.value);
    if (serialized.length > MAX_SDP_LENGTH) return; // CRLF can push it past the limit
    const again = parseSdp(serialized);
    expect(again.ok && isDeepStrictEqual(again.value, r.value), "serialize → parse differs");
  },
  encode: asIs,
});

/**
 * `lib/sdp/whatsapp_offer.ts`: `validateWhatsAppOffer` returns an offer or
 * a non-empty list of reasons, and an accepted offer names payload types
 * and candidates it holds.
 */
export const offerTarget: FuzzTarget = defineTarget({
  name: "offer",
  about: "validateWhatsAppOffer: an offer, or errors naming why; never throws",
  seeds: sdpOffers,
  generate: textMutant,
  check(text) {
    const v = validateWhatsAppOffer(text);
    if (!v.ok) {
      return expect(v.errors.length > 0 && v.errors.every((e) => e !== ""), "no reason given");
    }
    const { offer } = v;
    expect(
      [offer.opusPt, offer.telephoneEventPt].every((pt) => Number.isInteger(pt) && pt <= 127),
      "payload type out of range",
    );
    expect(offer.candidates.length > 0, "accepted without a candidate");
  },
  encode: asIs,
});

/** `lib/sdp/whatsapp_checklist.ts`: `checkWhatsAppAnswer` lists problems, never throws. */
export const answerTarget: FuzzTarget = defineTarget({
  name: "answer",
  about: "checkWhatsAppAnswer: a list of problems (empty when it passes); never throws",
  seeds: () => Promise.resolve([GOOD_ANSWER]),
  generate: textMutant,
  check(text) {
    const problems = checkWhatsAppAnswer(text);
    expect(problems.every((p) => typeof p === "string" && p !== ""), "an empty problem");
  },
  encode: asIs,
});
