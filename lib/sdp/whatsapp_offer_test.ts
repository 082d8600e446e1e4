import assert from "node:assert/strict";
import { validateWhatsAppOffer } from "./whatsapp_offer.ts";
import { offerOf } from "./whatsapp_test_utils.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../../tests/fixtures/sdp/${name}`, import.meta.url));

const DOC_OFFER = await fixture("meta_doc_offer.sdp");
const SIP_SAMPLE_OFFER = await fixture("meta_sip_sample_offer.sdp");
const AIORTC_OFFER = await fixture("meta_aiortc_offer.sdp");

function errorsOf(sdp: string): string[] {
  const result = validateWhatsAppOffer(sdp);
  assert.equal(result.ok, false, "offer should be rejected");
  return (result as { errors: string[] }).errors;
}

Deno.test("validateWhatsAppOffer accepts Meta's documented offer and extracts every field", () => {
  const offer = offerOf(DOC_OFFER);
  const { sdp, candidates, ...rest } = offer;
  assert.deepEqual(rest, {
    opusPt: 111,
    opusFmtp: "minptime=10;useinbandfec=1",
    telephoneEventPt: 126,
    mid: "audio",
    bundle: ["audio"],
    iceUfrag: "6k2qP1R6kBfI/2",
    icePwd: "UApvJw3NcwFRDvIMKdM0vWCdlXah25E9",
    iceLite: true,
    fingerprint: {
      algorithm: "sha-256",
      value:
        "1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88",
    },
    setup: "actpass",
    ssrc: 4208138518,
  });
  assert.deepEqual(candidates.map((c) => `${c.address} ${c.port}`), [
    "31.13.65.60 40012",
    "2a03:2880:f211:cf:face:b00c:0:6443 40012",
  ]);
  assert.equal(sdp.media.length, 1);
});

Deno.test("validateWhatsAppOffer accepts the production offer without a=ssrc", () => {
  const offer = offerOf(AIORTC_OFFER);
  assert.equal(offer.ssrc, undefined);
  assert.equal(
    offer.opusFmtp,
    "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1",
  );
  assert.equal(offer.icePwd, "ylkwZfdMjMStntihfUybhg==");
  assert.deepEqual(offer.candidates.map((c) => c.address), ["157.240.15.51"]);
});

Deno.test("validateWhatsAppOffer rejects Meta's masked SIP sample, naming the password and fingerprint", () => {
  assert.deepEqual(errorsOf(SIP_SAMPLE_OFFER), [
    'a=ice-pwd is masked ("*************************")',
    'a=fingerprint must be "<hash> <hex bytes>", got "****"',
  ]);
});

const BAD_OFFERS: [string, (sdp: string) => string, string[]][] = [
  ["no opus", (s) => s.replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 ISAC/16000"), [
    "Opus (opus/48000/2) is not offered",
  ]],
  ["opus mapped but not in the m-line", (s) => s.replace("SAVPF 111 126", "SAVPF 126"), [
    "Opus (opus/48000/2) is not offered",
  ]],
  ["mono opus", (s) => s.replace("opus/48000/2", "opus/48000"), [
    "Opus (opus/48000/2) is not offered",
  ]],
  ["no telephone-event", (s) => s.replace("a=rtpmap:126 telephone-event/8000\r\n", ""), [
    "telephone-event/8000 is missing",
  ]],
  ["48 kHz telephone-event", (s) => s.replace("telephone-event/8000", "telephone-event/48000"), [
    "telephone-event/8000 is missing",
  ]],
  ["three fingerprints", (s) =>
    s.replace(
      /(a=fingerprint:[^\r]*\r\n)/,
      "$1a=fingerprint:sha-384 AB:CD\r\na=fingerprint:sha-512 EF:01\r\n",
    ), ["expected exactly one a=fingerprint, found 3"]],
  ["no fingerprint", (s) => s.replace(/a=fingerprint:[^\r]*\r\n/, ""), ["missing a=fingerprint"]],
  [
    "sha-1 fingerprint",
    (s) =>
      s.replace(
        /a=fingerprint:sha-256 \S+/,
        "a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB",
      ),
    [
      "fingerprint hash must be sha-256, got sha-1",
    ],
  ],
  ["truncated sha-256", (s) => s.replace(/(a=fingerprint:sha-256 \S+):3E/, "$1"), [
    'sha-256 fingerprint must be 32 colon-separated hex bytes, got "F9:AF:20:F7:41:78:12:98:6A:59:19:FA:B2:18:92:87:3F:70:B9:A5:08:BB:15:5E:8D:BA:5A:5F:A4:72:0C"',
  ]],
  ["missing ice-ufrag", (s) => s.replace(/a=ice-ufrag:[^\r]*\r\n/, ""), ["missing a=ice-ufrag"]],
  ["missing ice-pwd", (s) => s.replace(/a=ice-pwd:[^\r]*\r\n/, ""), ["missing a=ice-pwd"]],
  ["short ice-pwd", (s) => s.replace(/a=ice-pwd:[^\r]*/, "a=ice-pwd:short"), [
    'a=ice-pwd must be 22–256 visible characters, got "short"',
  ]],
  ["short ice-ufrag", (s) => s.replace(/a=ice-ufrag:[^\r]*/, "a=ice-ufrag:abc"), [
    'a=ice-ufrag must be 4–256 visible characters, got "abc"',
  ]],
  ["no audio m-line", (s) => s.replace("m=audio", "m=video"), ["no m=audio section"]],
  ["no m-line at all", (s) => s.slice(0, s.indexOf("m=audio")), ["no m=audio section"]],
  ["extra video section", (s) => s + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video\r\n", [
    "expected exactly one m= section (audio), found 2: audio, video",
  ]],
  ["SDES transport", (s) => s.replace("UDP/TLS/RTP/SAVPF", "RTP/SAVP"), [
    "m=audio transport must be UDP/TLS/RTP/SAVPF, got RTP/SAVP",
  ]],
  ["setup active", (s) => s.replace("a=setup:actpass", "a=setup:active"), [
    "a=setup must be actpass or passive (we answer active), got active",
  ]],
  ["no setup", (s) => s.replace("a=setup:actpass\r\n", ""), ["missing a=setup"]],
  ["no mid", (s) => s.replace("a=mid:audio\r\n", ""), ["missing a=mid"]],
  ["no BUNDLE", (s) => s.replace("a=group:BUNDLE audio\r\n", ""), ["missing a=group:BUNDLE"]],
  ["BUNDLE without the mid", (s) => s.replace("a=group:BUNDLE audio", "a=group:BUNDLE 0"), [
    'a=group:BUNDLE 0 does not include mid "audio"',
  ]],
  ["no rtcp-mux", (s) => s.replace("a=rtcp-mux\r\n", ""), ["missing a=rtcp-mux"]],
  ["recvonly", (s) => s.replace("a=sendrecv", "a=recvonly"), [
    "offer direction must be sendrecv, got recvonly",
  ]],
  ["only a TCP and a malformed candidate", (s) =>
    s.replace(
      /a=candidate:[^\r]*/,
      "a=candidate:1 1 tcp 1518280448 157.240.22.131 3478 typ host tcptype passive\r\na=candidate:garbage",
    ), [
    "no usable candidate (need UDP, component 1, an IP address and a port): 1 unusable, 1 malformed",
  ]],
  ["an mDNS candidate", (s) => s.replace("157.240.15.51 3480 typ", "f3a1.local 3480 typ"), [
    "no usable candidate (need UDP, component 1, an IP address and a port): 1 unusable, 0 malformed",
  ]],
  ["garbage", () => "<html>502 Bad Gateway</html>", [
    'unparseable SDP: line 1: expected "<letter>=<value>", got "<html>502 Bad Gateway</html>"',
  ]],
  ["empty", () => "", ["unparseable SDP: SDP is empty"]],
];

for (const [name, mutate, expected] of BAD_OFFERS) {
  Deno.test(`validateWhatsAppOffer rejects an offer with ${name}`, () => {
    const sdp = mutate(AIORTC_OFFER);
    if (name !== "garbage" && name !== "empty") {
      assert.notEqual(sdp, AIORTC_OFFER, "mutation applied");
    }
    assert.deepEqual(errorsOf(sdp), expected);
  });
}

Deno.test("validateWhatsAppOffer reports every problem at once", () => {
  const sdp = AIORTC_OFFER.replace(/a=ice-ufrag:[^\r]*\r\n/, "").replace(
    "a=rtpmap:111 opus/48000/2",
    "a=rtpmap:111 x/1",
  );
  assert.deepEqual(errorsOf(sdp), ["Opus (opus/48000/2) is not offered", "missing a=ice-ufrag"]);
});

Deno.test("validateWhatsAppOffer tolerates LF, whitespace, unknown lines, trickle, session-level ICE/DTLS, IPv6 and TCP", () => {
  const fingerprint = /a=fingerprint:[^\r]*\r\n/.exec(AIORTC_OFFER)![0];
  const sdp = AIORTC_OFFER
    .replace(fingerprint, "")
    .replace(/(a=ice-(ufrag|pwd):[^\r]*\r\n)/g, "")
    .replace(
      "a=ice-lite\r\n",
      "a=ice-lite\r\na=ice-ufrag:XqYW\r\na=ice-pwd:ylkwZfdMjMStntihfUybhg==\r\n" + fingerprint,
    )
    .replace(
      /a=candidate:[^\r]*/,
      "a=candidate:1 1 tcp 1518280448 157.240.22.131 3478 typ host tcptype passive\r\n" +
        "a=candidate:3355715111 1 udp 2122262783 2a03:2880:f343:131:face:b00c:0:699c 3480 typ host generation 0",
    )
    .replace("a=ptime:20", "a=ptime:20   \r\na=x-meta-future:1\r\na=ice-options:trickle")
    .replaceAll("\r\n", "\n");
  const offer = offerOf(sdp);
  assert.equal(offer.iceUfrag, "XqYW");
  assert.equal(offer.fingerprint.algorithm, "sha-256");
  assert.deepEqual(offer.candidates.map((c) => c.address), ["2a03:2880:f343:131:face:b00c:0:699c"]);
});

Deno.test("validateWhatsAppOffer follows non-default payload types", () => {
  const offer = offerOf(
    AIORTC_OFFER.replace("SAVPF 111 126", "SAVPF 109 101").replaceAll(":111 ", ":109 ").replace(
      ":126 ",
      ":101 ",
    ),
  );
  assert.equal(offer.opusPt, 109);
  assert.equal(offer.telephoneEventPt, 101);
  assert.ok(offer.opusFmtp?.startsWith("maxaveragebitrate=20000"));
});
