/**
 * The shaper against the checklist, rule by rule: a local answer that breaks
 * one rule is either repaired (the shaped answer passes the whole checklist)
 * or refused with the reason; it never comes out still breaking a rule.
 */
import assert from "node:assert/strict";
import { shapeWhatsAppAnswer } from "./whatsapp_answer.ts";
import {
  type AnswerRuleName,
  checkWhatsAppAnswer,
  readAnswer,
  WHATSAPP_ANSWER_CHECKLIST,
} from "./whatsapp_checklist.ts";
import { GOOD_ANSWER, offerOf } from "./whatsapp_test_utils.ts";

const OFFER = offerOf(
  await Deno.readTextFile(
    new URL("../../tests/fixtures/sdp/meta_aiortc_offer.sdp", import.meta.url),
  ),
);

/** An edit of the local answer; `refused` lists the shaper's errors when it cannot repair it. */
type Breach = [what: string, mutate: (sdp: string) => string, refused?: string[]];

const append = (line: string) => (s: string) => s + line + "\r\n";
const atSession = (line: string) => (s: string) => s.replace("t=0 0", `t=0 0\r\n${line}`);
const drop = (pattern: string | RegExp) => (s: string) =>
  s.replace(typeof pattern === "string" ? `${pattern}\r\n` : pattern, "");
const candidate = (address: string) =>
  append(`a=candidate:9 1 udp 2116026367 ${address} 40009 typ host`);

const BREACHES: Record<AnswerRuleName, Breach[]> = {
  "audio-media": [["a video section", (s) => s.replace("m=audio", "m=video"), [
    "answer must have exactly one m=audio section, found 1 m= sections",
  ]]],
  "dtls-srtp-transport": [["plain RTP", (s) => s.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"), [
    "m=audio transport must be UDP/TLS/RTP/SAVPF, got RTP/AVP",
  ]]],
  "payload-types": [["PCMU listed", (s) => s.replace("SAVPF 111 126", "SAVPF 111 126 0")]],
  "only-opus-and-dtmf": [[
    "PCMU, RED and rtx",
    append(
      "a=rtpmap:0 PCMU/8000\r\na=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\na=rtpmap:97 rtx/48000\r\na=fmtp:97 apt=111",
    ),
  ]],
  "opus-rtpmap": [[
    "Opus on the answer's own payload type",
    (s) => s.replace("SAVPF 111 126", "SAVPF 96 126").replaceAll(":111 ", ":96 "),
  ]],
  "telephone-event-rtpmap": [
    ["no DTMF", drop("a=rtpmap:126 telephone-event/8000")],
    ["48 kHz DTMF", (s) => s.replace("telephone-event/8000", "telephone-event/48000")],
  ],
  "opus-fmtp": [
    ["other Opus parameters", (s) => s.replace(/a=fmtp:111 [^\r]*/, "a=fmtp:111 minptime=10")],
    ["no Opus fmtp", drop(/a=fmtp:111 [^\r]*\r\n/)],
  ],
  "one-fingerprint": [[
    "three fingerprints at two levels",
    (s) =>
      atSession("a=fingerprint:sha-512 AA:BB")(s).replace(
        "a=setup",
        "a=fingerprint:sha-1 CC\r\na=setup",
      ),
  ]],
  "fingerprint-sha-256": [
    ["a sha-1 fingerprint beside the sha-256 one", atSession("a=fingerprint:sha-1 CC:DD")],
    ["only a sha-384 fingerprint", (s) => s.replace("fingerprint:sha-256", "fingerprint:sha-384"), [
      "answer has no sha-256 a=fingerprint (found: sha-384)",
    ]],
  ],
  "fingerprint-bytes": [[
    "a short sha-256 fingerprint",
    (s) => s.replace(/(fingerprint:sha-256 )\S+/, "$1AA:BB"),
    ["sha-256 fingerprint must be 32 colon-separated hex bytes"],
  ]],
  "setup-active": [
    ["setup passive", (s) => s.replace("setup:active", "setup:passive")],
    ["no setup", drop("a=setup:active")],
    ["two setup lines", (s) => s.replace("a=setup:active", "a=setup:actpass\r\na=setup:active")],
    ["a session-level setup", atSession("a=setup:passive")],
  ],
  "mid": [
    ["another mid", (s) => s.replace("a=mid:audio", "a=mid:0")],
    ["no mid", drop("a=mid:audio")],
  ],
  "bundle": [
    ["another BUNDLE", (s) => s.replace("BUNDLE audio", "BUNDLE 0")],
    ["no BUNDLE", drop("a=group:BUNDLE audio")],
  ],
  "rtcp-mux": [["no rtcp-mux", drop("a=rtcp-mux")]],
  "sendrecv": [
    ["recvonly", (s) => s.replace("a=sendrecv", "a=recvonly")],
    ["no direction", drop("a=sendrecv")],
    ["a session-level direction", atSession("a=recvonly")],
  ],
  "single-ssrc": [
    ["two SSRCs", append("a=ssrc:2222 cname:x\r\na=ssrc:2222 msid:s t")],
    ["no SSRC", drop(/a=ssrc:[^\r]*\r\n/), [
      "answer has no a=ssrc line: the local peer must send one audio track",
    ]],
  ],
  "ssrc-cname": [["an SSRC without cname", (s) => s.replace(" cname:", " label:"), [
    "answer's a=ssrc:1489085448 has no cname",
  ]]],
  "no-ssrc-group": [[
    "an rtx ssrc-group",
    append("a=ssrc-group:FID 1489085448 2222\r\na=ssrc:2222 cname:x"),
  ]],
  "ice-full": [
    ["session-level ice-lite", atSession("a=ice-lite")],
    ["media-level ice-lite", append("a=ice-lite")],
  ],
  "no-trickle": [
    ["trickle alone", append("a=ice-options:trickle")],
    ["trickle among options", atSession("a=ice-options:trickle ice2")],
  ],
  "ice-ufrag": [
    ["no ice-ufrag", drop(/a=ice-ufrag:[^\r]*\r\n/), ["missing a=ice-ufrag"]],
    ["a 3-character ice-ufrag", (s) => s.replace("a=ice-ufrag:ab4d", "a=ice-ufrag:ab4"), [
      'a=ice-ufrag must be 4–256 visible characters, got "ab4"',
    ]],
  ],
  "ice-pwd": [["no ice-pwd", drop(/a=ice-pwd:[^\r]*\r\n/), ["missing a=ice-pwd"]]],
  "connection-line": [
    ["no c= line", drop("c=IN IP4 0.0.0.0")],
    ["a c= line without an address", (s) => s.replace("c=IN IP4 0.0.0.0", "c=IN IP4"), [
      'c= must be "IN IP4|IP6 <address>", got "IN IP4"',
    ]],
  ],
  "candidates-present": [["no candidates", drop(/a=candidate:[^\r]*\r\n/g), [
    "no usable candidate left in the answer (was ICE gathering complete?)",
  ]]],
  "end-of-candidates": [
    ["no end-of-candidates", drop("a=end-of-candidates")],
    ["a candidate after end-of-candidates", candidate("203.0.113.9")],
  ],
  "candidates-well-formed": [["a malformed candidate", append("a=candidate:garbage")]],
  "candidates-reachable": [
    ["a link-local candidate", candidate("fe80::1")],
    ["an mDNS candidate", candidate("ab12.local")],
    ["an unspecified address", candidate("0.0.0.0")],
    ["a loopback candidate beside routable ones", candidate("127.0.0.1")],
  ],
};

Deno.test("every checklist rule has breaches for the shaper here", () => {
  assert.deepEqual(
    Object.keys(BREACHES).sort(),
    WHATSAPP_ANSWER_CHECKLIST.map((r) => r.name).sort(),
  );
});

for (const rule of WHATSAPP_ANSWER_CHECKLIST) {
  const breaches = BREACHES[rule.name];
  const what = breaches.map(([w]) => w).join(", ");
  Deno.test(`shapeWhatsAppAnswer enforces ${rule.name}: ${what}`, () => {
    for (const [edit, mutate, refused] of breaches) {
      const input = mutate(GOOD_ANSWER);
      const read = readAnswer(input, OFFER);
      assert.ok(read.ok && rule.check(read.value) !== undefined, `${edit}: the input breaks it`);
      const result = shapeWhatsAppAnswer(input, OFFER);
      if (refused) assert.deepEqual(result, { ok: false, errors: refused }, edit);
      else {
        assert.ok(result.ok, `${edit}: ${!result.ok && result.errors.join("; ")}`);
        assert.deepEqual(checkWhatsAppAnswer(result.sdp, OFFER), [], edit);
      }
    }
  });
}
