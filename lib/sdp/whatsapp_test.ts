import assert from "node:assert/strict";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useOPUS,
  usePCMU,
} from "werift";
import { getAttributes, parseCandidate, parseSdp, type Sdp } from "./sdp.ts";
import {
  checkWhatsAppAnswer,
  type ShapeOptions,
  shapeWhatsAppAnswer,
  validateWhatsAppOffer,
  type WhatsAppOffer,
} from "./whatsapp.ts";

function fixture(name: string): Promise<string> {
  return Deno.readTextFile(new URL(`../../tests/fixtures/sdp/${name}`, import.meta.url));
}

const DOC_OFFER = await fixture("meta_doc_offer.sdp");
const SIP_SAMPLE_OFFER = await fixture("meta_sip_sample_offer.sdp");
const AIORTC_OFFER = await fixture("meta_aiortc_offer.sdp");

function offerOf(sdp: string): WhatsAppOffer {
  const result = validateWhatsAppOffer(sdp);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.offer;
}

function errorsOf(sdp: string): string[] {
  const result = validateWhatsAppOffer(sdp);
  assert.equal(result.ok, false, "offer should be rejected");
  return (result as { errors: string[] }).errors;
}

function shaped(answer: string, offer: WhatsAppOffer, opts: ShapeOptions = {}): string {
  const result = shapeWhatsAppAnswer(answer, offer, opts);
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.sdp;
}

function shapeErrors(answer: string, offer: WhatsAppOffer, opts: ShapeOptions = {}): string[] {
  const result = shapeWhatsAppAnswer(answer, offer, opts);
  assert.equal(result.ok, false, "shaping should fail");
  return (result as { errors: string[] }).errors;
}

function parsed(sdp: string): Sdp {
  const result = parseSdp(sdp);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** Lines of the single media section as `a=`-less strings, for compact assertions. */
function mediaValues(sdp: string, prefix: string): string[] {
  return parsed(sdp).media[0]!.filter((l) => l.value.startsWith(prefix)).map((l) => l.value);
}

const telephoneEvent = () =>
  new RTCRtpCodecParameters({
    mimeType: "audio/telephone-event",
    clockRate: 8000,
    payloadType: 126,
  });

/**
 * A real werift 0.25.2 answer to `offer` once ICE gathering is complete. By
 * default it is configured like the bridge (sendrecv track, Opus + DTMF, plus
 * PCMU that must be dropped); `bare` uses werift's defaults (recvonly, no DTMF).
 */
async function weriftAnswer(offer: string, bare = false): Promise<string> {
  const pc = new RTCPeerConnection(
    bare
      ? { iceServers: [] }
      : { iceServers: [], codecs: { audio: [useOPUS(), usePCMU(), telephoneEvent()] } },
  );
  try {
    if (!bare) {
      pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendrecv" });
    }
    const gathered = new Promise<void>((resolve) => {
      pc.onIceCandidate.subscribe((candidate) => {
        if (candidate === undefined || candidate === null) resolve();
      });
      pc.iceGatheringStateChange.subscribe((state) => {
        if (state === "complete") resolve();
      });
    });
    await pc.setRemoteDescription({ type: "offer", sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== "complete") await gathered;
    return pc.localDescription!.sdp;
  } finally {
    await pc.close();
  }
}

// ---------------------------------------------------------------- offers

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

// ---------------------------------------------------------------- shaping real werift answers

for (const [name, offerSdp] of [["documented", DOC_OFFER], ["production", AIORTC_OFFER]] as const) {
  Deno.test(`shapeWhatsAppAnswer turns a real werift answer to Meta's ${name} offer into a valid one`, async () => {
    const offer = offerOf(offerSdp);
    const answer = await weriftAnswer(offerSdp);
    assert.notDeepEqual(
      checkWhatsAppAnswer(answer, offer),
      [],
      "werift's raw answer violates the checklist",
    );
    const sdp = shaped(answer, offer);
    assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
    assert.ok(sdp.endsWith("\r\n") && !sdp.replaceAll("\r\n", "").includes("\n"));
    assert.deepEqual(
      getAttributes(parsed(sdp).media[0]!, "fingerprint"),
      getAttributes(parsed(answer).media[0]!, "fingerprint"),
    );
    assert.deepEqual(mediaValues(sdp, "rtpmap"), [
      "rtpmap:111 opus/48000/2",
      "rtpmap:126 telephone-event/8000",
    ]);
    assert.deepEqual(mediaValues(sdp, "fmtp"), [`fmtp:111 ${offer.opusFmtp}`]);
    assert.equal(parsed(sdp).media[0]![0]!.value, "audio 9 UDP/TLS/RTP/SAVPF 111 126");
    // werift's own ICE credentials survive: the ICE agent is keyed on them.
    assert.deepEqual(
      mediaValues(sdp, "ice-"),
      mediaValues(answer, "ice-u").concat(mediaValues(answer, "ice-p")),
    );
    assert.equal(shaped(sdp, offer), sdp, "shaping is idempotent");
  });
}

Deno.test("shapeWhatsAppAnswer fixes werift's default answer: recvonly, no DTMF, PCMU", async () => {
  const offer = offerOf(AIORTC_OFFER);
  const answer = await weriftAnswer(AIORTC_OFFER, true);
  assert.ok(answer.includes("a=recvonly"));
  const sdp = shaped(answer, offer);
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
  assert.ok(!sdp.includes("recvonly") && !sdp.includes("ice-options"));
});

Deno.test("shapeWhatsAppAnswer uses the offer's payload types when they are not 111/126", async () => {
  const offerSdp = DOC_OFFER.replace("SAVPF 111 126", "SAVPF 109 101").replaceAll(":111 ", ":109 ")
    .replace(":126 ", ":101 ");
  const offer = offerOf(offerSdp);
  const sdp = shaped(await weriftAnswer(offerSdp), offer);
  assert.equal(parsed(sdp).media[0]![0]!.value, "audio 9 UDP/TLS/RTP/SAVPF 109 101");
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
  assert.ok(
    checkWhatsAppAnswer(sdp).includes("m=audio must list payload types 111 126, got 109 101"),
  );
});

Deno.test("shapeWhatsAppAnswer maps the answer's own payload types onto the offer's", () => {
  const offer = offerOf(AIORTC_OFFER);
  const answer = GOOD_ANSWER.replace("SAVPF 111 126", "SAVPF 96 97").replace(":111 ", ":96 ")
    .replace(
      ":111 ",
      ":96 ",
    ).replace(":111 ", ":96 ").replace(":126 ", ":97 ");
  const sdp = shaped(answer, offer);
  assert.deepEqual(mediaValues(sdp, "rtpmap"), [
    "rtpmap:111 opus/48000/2",
    "rtpmap:126 telephone-event/8000",
  ]);
  assert.deepEqual(mediaValues(sdp, "rtcp-fb"), ["rtcp-fb:111 transport-cc"]);
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
});

// ---------------------------------------------------------------- candidates and public IP

/**
 * A real werift answer with the candidates a cloud VM gathers instead of this
 * machine's: eth0 behind 1:1 NAT, Tailscale, link-local, loopback, mDNS, RTCP,
 * STUN results and a TCP candidate.
 */
async function vmAnswer(): Promise<string> {
  const answer = await weriftAnswer(AIORTC_OFFER);
  const candidates = [
    "a=candidate:tc 1 tcp 1518280447 10.0.0.5 9 typ host tcptype active generation 0",
    "a=candidate:e4 1 udp 2116026367 10.0.0.5 40001 typ host generation 0",
    "a=candidate:e6 1 udp 2116026367 2001:db8::5 40009 typ host generation 0",
    "a=candidate:t4 1 udp 2116026367 100.101.102.103 40002 typ host generation 0",
    "a=candidate:t6 1 udp 2116026367 fd7a:115c:a1e0::1234 40003 typ host generation 0",
    "a=candidate:ll 1 udp 2116026367 fe80::fc:ff:fe00:1 40004 typ host generation 0",
    "a=candidate:lo 1 udp 2116026367 127.0.0.1 40005 typ host generation 0",
    "a=candidate:md 1 udp 2116026367 0a1b2c3d.local 40006 typ host generation 0",
    "a=candidate:c2 2 udp 2116026366 10.0.0.5 40007 typ host generation 0",
    "a=candidate:sr 1 udp 1677729535 198.51.100.9 40008 typ srflx raddr 10.0.0.5 rport 40001 generation 0",
    // What STUN reports behind a 1:1 NAT: a duplicate of the rewritten host candidate.
    "a=candidate:nat 1 udp 1677729535 203.0.113.7 40001 typ srflx raddr 10.0.0.5 rport 40001 generation 0",
  ];
  const withoutOwn = answer.replace(/a=candidate:[^\r]*\r\n/g, "");
  assert.notEqual(withoutOwn, answer, "werift gathered candidates");
  return withoutOwn.replace(
    "a=end-of-candidates\r\n",
    `${candidates.join("\r\n")}\r\na=end-of-candidates\r\n`,
  );
}

function candidateAddresses(sdp: string): string[] {
  return getAttributes(parsed(sdp).media[0]!, "candidate").map((v) => {
    const c = parseCandidate(v);
    return c.ok ? `${c.value.type} ${c.value.address} ${c.value.port}` : "malformed";
  });
}

Deno.test("shapeWhatsAppAnswer announces the public IP and drops unroutable candidates", async () => {
  const offer = offerOf(AIORTC_OFFER);
  const sdp = shaped(await vmAnswer(), offer, { publicIp: "203.0.113.7" });
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
  assert.deepEqual(candidateAddresses(sdp), [
    "host 203.0.113.7 9",
    "host 203.0.113.7 40001",
    "host 2001:db8::5 40009",
    "srflx 198.51.100.9 40008",
  ]);
  // The default address is the UDP candidate, not the TCP one listed first.
  assert.equal(
    mediaValues(sdp, "candidate:")[1],
    "candidate:e4 1 udp 2116026367 203.0.113.7 40001 typ host generation 0",
  );
  assert.ok(sdp.includes("m=audio 40001 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.7\r\n"));
  assert.ok(!sdp.includes("c=IN IP4 0.0.0.0"));
});

Deno.test("shapeWhatsAppAnswer without a public IP keeps VPN candidates but drops link-local, mDNS, loopback and RTCP ones", async () => {
  const sdp = shaped(await vmAnswer(), offerOf(AIORTC_OFFER));
  assert.deepEqual(candidateAddresses(sdp), [
    "host 10.0.0.5 9",
    "host 10.0.0.5 40001",
    "host 2001:db8::5 40009",
    "host 100.101.102.103 40002",
    "host fd7a:115c:a1e0::1234 40003",
    "srflx 198.51.100.9 40008",
    "srflx 203.0.113.7 40001",
  ]);
  assert.ok(sdp.includes("m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\n"));
});

Deno.test("shapeWhatsAppAnswer keeps loopback when nothing else exists, and rewrites CGNAT when it is all there is", () => {
  const offer = offerOf(AIORTC_OFFER);
  const only = (address: string) =>
    GOOD_ANSWER.replace(/a=candidate:[^\r]*\r\n/g, "").replace(
      "a=end-of-candidates",
      `a=candidate:1 1 udp 2116026367 ${address} 40001 typ host\r\na=end-of-candidates`,
    );
  assert.deepEqual(candidateAddresses(shaped(only("127.0.0.1"), offer)), ["host 127.0.0.1 40001"]);
  assert.deepEqual(
    candidateAddresses(shaped(only("100.64.1.1"), offer, { publicIp: "203.0.113.7" })),
    [
      "host 203.0.113.7 40001",
    ],
  );
  assert.deepEqual(shapeErrors(only("fe80::1"), offer), [
    "no usable candidate left in the answer (was ICE gathering complete?)",
  ]);
});

Deno.test("shapeWhatsAppAnswer adds c= when the answer has none and a public IP is given", () => {
  const sdp = shaped(GOOD_ANSWER.replace("c=IN IP4 0.0.0.0\r\n", ""), offerOf(AIORTC_OFFER), {
    publicIp: "203.0.113.7",
  });
  assert.ok(sdp.includes("m=audio 40001 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.7\r\n"));
});

// ---------------------------------------------------------------- fingerprints, SSRC, codecs

Deno.test("shapeWhatsAppAnswer collapses several fingerprints (session and media level) to one sha-256", async () => {
  const offer = offerOf(DOC_OFFER);
  const answer = await weriftAnswer(DOC_OFFER);
  const sha256 = /a=fingerprint:sha-256 ([^\r]*)/.exec(answer)![1]!;
  const many = answer
    .replace("t=0 0\r\n", "t=0 0\r\na=fingerprint:sha-512 AA:BB\r\n")
    .replace(
      /a=fingerprint:sha-256 [^\r]*/,
      `a=fingerprint:sha-384 CC:DD\r\na=fingerprint:SHA-256 ${sha256}\r\na=fingerprint:sha-1 EE`,
    );
  assert.ok(
    checkWhatsAppAnswer(many, offer).includes("expected exactly one a=fingerprint, found 4"),
  );
  const sdp = shaped(many, offer);
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
  assert.deepEqual(
    getAttributes([...parsed(sdp).session, ...parsed(sdp).media[0]!], "fingerprint"),
    [`sha-256 ${sha256}`],
  );
});

Deno.test("shapeWhatsAppAnswer fails when no fingerprint is sha-256", () => {
  const answer = GOOD_ANSWER.replace(
    /a=fingerprint:sha-256 [^\r]*/,
    "a=fingerprint:sha-384 AA\r\na=fingerprint:sha-512 BB",
  );
  assert.deepEqual(shapeErrors(answer, offerOf(AIORTC_OFFER)), [
    "answer has no sha-256 a=fingerprint (found: sha-384, sha-512)",
  ]);
  assert.deepEqual(
    shapeErrors(answer.replace(/a=fingerprint:[^\r]*\r\n/g, ""), offerOf(AIORTC_OFFER)),
    [
      "answer has no sha-256 a=fingerprint (found: none)",
    ],
  );
});

/** A Chrome/aiortc-style answer: every bad habit at once. */
const BROWSER_ANSWER = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=ice-lite",
  "a=msid-semantic: WMS stream",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126 97",
  "c=IN IP4 0.0.0.0",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host generation 0",
  "a=candidate:1 2 udp 2122260222 192.168.1.20 50001 typ host generation 0",
  "a=candidate:2 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:abcdefghijklmnopqrstuvwx",
  "a=ice-options:trickle ice2",
  "a=fingerprint:sha-256 70:FF:1F:8F:09:A9:DD:50:96:F0:D9:C8:63:60:05:49:54:CE:61:72:30:B4:07:BA:DE:A7:32:EF:14:BA:1A:26",
  "a=setup:passive",
  "a=mid:0",
  "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
  "a=recvonly",
  "a=msid:stream track",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1",
  "a=rtpmap:63 red/48000/2",
  "a=fmtp:63 111/111",
  "a=rtpmap:9 G722/8000",
  "a=rtpmap:0 PCMU/8000",
  "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:13 CN/8000",
  "a=rtpmap:110 telephone-event/48000",
  "a=rtpmap:126 telephone-event/8000",
  "a=rtpmap:97 rtx/48000",
  "a=fmtp:97 apt=111",
  "a=rtcp-fb:* nack",
  "a=ssrc-group:FID 1111 2222",
  "a=ssrc:1111 cname:browser",
  "a=ssrc:1111 msid:stream track",
  "a=ssrc:1111 mslabel:stream",
  "a=ssrc:2222 cname:browser",
  "a=x-vendor:kept",
  "",
].join("\r\n");

Deno.test("shapeWhatsAppAnswer cleans a browser-style answer down to Meta's checklist, keeping unknown lines", () => {
  const offer = offerOf(AIORTC_OFFER);
  const before = checkWhatsAppAnswer(BROWSER_ANSWER, offer);
  assert.equal(before.length, 20);
  assert.ok(before.includes("a=ice-lite must not be present (be ICE-full)"));
  assert.ok(before.includes("a=rtpmap:63 is for a codec other than Opus/DTMF"));
  const sdp = shaped(BROWSER_ANSWER, offer, { ssrc: 0xdeadbeef });
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
  assert.equal(
    sdp,
    [
      "v=0",
      "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
      "s=-",
      "t=0 0",
      "a=group:BUNDLE audio",
      "a=msid-semantic: WMS stream",
      "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
      "c=IN IP4 0.0.0.0",
      "a=rtcp:9 IN IP4 0.0.0.0",
      "a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host generation 0",
      "a=candidate:2 1 tcp 1518280447 192.168.1.20 9 typ host tcptype active generation 0",
      "a=end-of-candidates",
      "a=ice-ufrag:abcd",
      "a=ice-pwd:abcdefghijklmnopqrstuvwx",
      "a=ice-options:ice2",
      "a=fingerprint:sha-256 70:FF:1F:8F:09:A9:DD:50:96:F0:D9:C8:63:60:05:49:54:CE:61:72:30:B4:07:BA:DE:A7:32:EF:14:BA:1A:26",
      "a=setup:active",
      "a=mid:audio",
      "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
      "a=sendrecv",
      "a=msid:stream track",
      "a=rtcp-mux",
      "a=rtpmap:111 opus/48000/2",
      "a=rtcp-fb:111 transport-cc",
      `a=fmtp:111 ${offer.opusFmtp}`,
      "a=rtpmap:126 telephone-event/8000",
      "a=rtcp-fb:* nack",
      "a=ssrc:3735928559 cname:browser",
      "a=ssrc:3735928559 msid:stream track",
      "a=x-vendor:kept",
      "",
    ].join("\r\n"),
  );
});

Deno.test("shapeWhatsAppAnswer adds rtcp-mux and an fmtp the answer lacks", () => {
  const offer = offerOf(AIORTC_OFFER);
  const sdp = shaped(
    GOOD_ANSWER.replace("a=rtcp-mux\r\n", "").replace(/a=fmtp:[^\r]*\r\n/, ""),
    offer,
  );
  assert.deepEqual(checkWhatsAppAnswer(sdp, offer), []);
  assert.deepEqual(mediaValues(sdp, "rtpmap:111").concat(mediaValues(sdp, "fmtp")), [
    "rtpmap:111 opus/48000/2",
    `fmtp:111 ${offer.opusFmtp}`,
  ]);
});

Deno.test("shapeWhatsAppAnswer reports why it cannot shape an answer", () => {
  const offer = offerOf(AIORTC_OFFER);
  assert.deepEqual(shapeErrors("nonsense", offer), [
    'unparseable answer SDP: line 1: expected "<letter>=<value>", got "nonsense"',
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", offer), [
    "answer must have exactly one m=audio section, found 2 m= sections",
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER.replace("opus/48000/2", "PCMU/8000"), offer), [
    "answer does not accept Opus (opus/48000/2)",
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER.replace(/a=ssrc:[^\r]*\r\n/g, ""), offer), [
    "answer has no a=ssrc line: the local peer must send one audio track",
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER.replace(/ cname:\S+/, " label:x"), offer), [
    "answer's a=ssrc:1489085448 has no cname",
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER.replace(/a=candidate:[^\r]*\r\n/g, ""), offer), [
    "no usable candidate left in the answer (was ICE gathering complete?)",
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER, offer, { publicIp: "10.0.0.1", ssrc: -1 }), [
    'publicIp must be a public IPv4 address, got "10.0.0.1"',
    "ssrc must be a 32-bit unsigned integer, got -1",
  ]);
  assert.deepEqual(shapeErrors(GOOD_ANSWER.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"), offer), [
    "m=audio transport must be UDP/TLS/RTP/SAVPF, got RTP/AVP",
  ]);
});

// ---------------------------------------------------------------- the checklist itself

/** Passes every check: what shaping produces for Meta's production offer. */
const GOOD_ANSWER = [
  "v=0",
  "o=- 38747271 0 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE audio",
  "a=msid-semantic:WMS *",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 126",
  "c=IN IP4 0.0.0.0",
  "a=candidate:1 1 udp 2116026367 10.0.0.5 40001 typ host generation 0",
  "a=candidate:2 1 udp 2116026367 2001:db8::5 40002 typ host generation 0",
  "a=end-of-candidates",
  "a=ice-ufrag:ab4d",
  "a=ice-pwd:1c70ad821c6e75b2c528e2",
  "a=fingerprint:sha-256 70:FF:1F:8F:09:A9:DD:50:96:F0:D9:C8:63:60:05:49:54:CE:61:72:30:B4:07:BA:DE:A7:32:EF:14:BA:1A:26",
  "a=setup:active",
  "a=sendrecv",
  "a=mid:audio",
  "a=rtcp:9 IN IP4 0.0.0.0",
  "a=rtcp-mux",
  "a=ssrc:1489085448 cname:e030444e-93f7-4284-a036-1a8b5cf1608d",
  "a=rtpmap:111 opus/48000/2",
  "a=rtcp-fb:111 transport-cc",
  "a=fmtp:111 maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1",
  "a=rtpmap:126 telephone-event/8000",
  "",
].join("\r\n");

Deno.test("checkWhatsAppAnswer passes the reference answer, with and without the offer", () => {
  assert.deepEqual(checkWhatsAppAnswer(GOOD_ANSWER), []);
  assert.deepEqual(checkWhatsAppAnswer(GOOD_ANSWER, offerOf(AIORTC_OFFER)), []);
});

const VIOLATIONS: [string, (sdp: string) => string, string][] = [
  [
    "garbage",
    () => "garbage",
    'unparseable SDP: line 1: expected "<letter>=<value>", got "garbage"',
  ],
  [
    "two m= sections",
    (s) => s + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
    "expected exactly one m= section, found 2",
  ],
  [
    "no m= section",
    (s) => s.slice(0, s.indexOf("m=audio")),
    "expected exactly one m= section, found 0",
  ],
  [
    "a malformed m= line",
    (s) => s.replace("m=audio 9 UDP", "m=audio x UDP"),
    'm= line has an invalid port "x"',
  ],
  ["video", (s) => s.replace("m=audio", "m=video"), "m= section is video, expected audio"],
  [
    "plain RTP",
    (s) => s.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"),
    "m=audio transport must be UDP/TLS/RTP/SAVPF, got RTP/AVP",
  ],
  [
    "an extra payload type",
    (s) => s.replace("SAVPF 111 126", "SAVPF 111 126 0"),
    "m=audio must list payload types 111 126, got 111 126 0",
  ],
  [
    "payload types out of order",
    (s) => s.replace("SAVPF 111 126", "SAVPF 126 111"),
    "m=audio must list payload types 111 126, got 126 111",
  ],
  [
    "another codec's rtpmap",
    (s) => s + "a=rtpmap:0 PCMU/8000\r\n",
    "a=rtpmap:0 is for a codec other than Opus/DTMF",
  ],
  [
    "an rtx fmtp",
    (s) => s + "a=fmtp:97 apt=111\r\n",
    "a=fmtp:97 is for a codec other than Opus/DTMF",
  ],
  [
    "another codec's rtcp-fb",
    (s) => s + "a=rtcp-fb:63 nack\r\n",
    "a=rtcp-fb:63 is for a codec other than Opus/DTMF",
  ],
  [
    "Opus mapped wrongly",
    (s) => s.replace("opus/48000/2", "opus/48000/1"),
    "missing a=rtpmap:111 opus/48000/2",
  ],
  [
    "no telephone-event",
    (s) => s.replace("telephone-event/8000", "telephone-event/48000"),
    "missing a=rtpmap:126 telephone-event/8000",
  ],
  [
    "no fingerprint",
    (s) => s.replace(/a=fingerprint:[^\r]*\r\n/, ""),
    "expected exactly one a=fingerprint, found 0",
  ],
  [
    "a second, session-level sha-256 fingerprint",
    (s) => s.replace("t=0 0", "t=0 0\r\n" + /a=fingerprint:[^\r]*/.exec(s)![0]),
    "expected exactly one a=fingerprint, found 2",
  ],
  [
    "a sha-384 fingerprint",
    (s) => s.replace("fingerprint:sha-256", "fingerprint:sha-384"),
    "fingerprint hash must be sha-256, got sha-384",
  ],
  [
    "a short sha-256 fingerprint",
    (s) => s.replace(/(fingerprint:sha-256 )\S+/, "$1AA:BB"),
    "sha-256 fingerprint must be 32 colon-separated hex bytes",
  ],
  [
    "setup passive",
    (s) => s.replace("setup:active", "setup:passive"),
    "a=setup must be active, got passive",
  ],
  ["no setup", (s) => s.replace("a=setup:active\r\n", ""), "a=setup must be active, got none"],
  ["another mid", (s) => s.replace("a=mid:audio", "a=mid:0"), "a=mid must be audio, got 0"],
  [
    "another BUNDLE",
    (s) => s.replace("a=group:BUNDLE audio", "a=group:BUNDLE audio video"),
    'a=group:BUNDLE must be "audio", got "audio video"',
  ],
  [
    "no BUNDLE",
    (s) => s.replace("a=group:BUNDLE audio\r\n", ""),
    'a=group:BUNDLE must be "audio", got none',
  ],
  ["no rtcp-mux", (s) => s.replace("a=rtcp-mux\r\n", ""), "missing a=rtcp-mux"],
  [
    "recvonly",
    (s) => s.replace("a=sendrecv", "a=recvonly"),
    "direction must be sendrecv, got recvonly",
  ],
  ["no direction", (s) => s.replace("a=sendrecv\r\n", ""), "direction must be sendrecv, got none"],
  ["two SSRCs", (s) => s + "a=ssrc:2222 cname:x\r\n", "expected exactly one SSRC, found 2"],
  ["no SSRC", (s) => s.replace(/a=ssrc:[^\r]*\r\n/, ""), "expected exactly one SSRC, found 0"],
  ["an SSRC without cname", (s) => s.replace(" cname:", " label:"), "a=ssrc has no cname"],
  [
    "an ssrc-group",
    (s) => s + "a=ssrc-group:FID 1489085448\r\n",
    "a=ssrc-group is not allowed (single SSRC)",
  ],
  [
    "ice-lite",
    (s) => s.replace("t=0 0", "t=0 0\r\na=ice-lite"),
    "a=ice-lite must not be present (be ICE-full)",
  ],
  [
    "trickle",
    (s) => s + "a=ice-options:ice2 trickle\r\n",
    "a=ice-options must not announce trickle",
  ],
  ["no ice-ufrag", (s) => s.replace(/a=ice-ufrag:[^\r]*\r\n/, ""), "missing a=ice-ufrag"],
  ["no ice-pwd", (s) => s.replace(/a=ice-pwd:[^\r]*\r\n/, ""), "missing a=ice-pwd"],
  [
    "no candidates",
    (s) => s.replace(/a=candidate:[^\r]*\r\n/g, ""),
    "no a=candidate lines (include the complete set)",
  ],
  [
    "no end-of-candidates",
    (s) => s.replace("a=end-of-candidates\r\n", ""),
    "missing a=end-of-candidates",
  ],
  [
    "end-of-candidates too early",
    (s) =>
      s.replace("a=end-of-candidates\r\n", "").replace(
        "c=IN IP4 0.0.0.0",
        "c=IN IP4 0.0.0.0\r\na=end-of-candidates",
      ),
    "a=end-of-candidates must follow the last a=candidate",
  ],
  [
    "a malformed candidate",
    (s) => s.replace("40002 typ host", "40002 host"),
    'malformed a=candidate: candidate "2 1 udp 2116026367 2001:db8::5 40002 host generation 0": expected "typ" before the candidate type, got "host"',
  ],
  [
    "a link-local candidate",
    (s) => s.replace("2001:db8::5", "fe80::5"),
    "candidate address fe80::5 is link-local, unreachable for Meta",
  ],
  [
    "a loopback candidate beside routable ones",
    (s) => s.replace("2001:db8::5", "::1"),
    "candidate address ::1 is loopback, unreachable for Meta",
  ],
  [
    "an mDNS candidate",
    (s) => s.replace("2001:db8::5", "ab12.local"),
    "candidate address ab12.local is hostname, unreachable for Meta",
  ],
];

for (const [name, mutate, violation] of VIOLATIONS) {
  Deno.test(`checkWhatsAppAnswer flags ${name}`, () => {
    const sdp = mutate(GOOD_ANSWER);
    assert.notEqual(sdp, GOOD_ANSWER, "mutation applied");
    assert.deepEqual(checkWhatsAppAnswer(sdp), [violation]);
  });
}

Deno.test("checkWhatsAppAnswer compares against the offer's mid, payload types and Opus fmtp", () => {
  const offer = offerOf(DOC_OFFER);
  assert.deepEqual(checkWhatsAppAnswer(GOOD_ANSWER, offer), [
    `a=fmtp:111 must be the offer's "minptime=10;useinbandfec=1", got "maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1"`,
  ]);
  assert.deepEqual(
    checkWhatsAppAnswer(GOOD_ANSWER, { mid: "0", opusPt: 109, telephoneEventPt: 101 }),
    [
      "m=audio must list payload types 109 101, got 111 126",
      "a=rtpmap:111 is for a codec other than Opus/DTMF",
      "a=rtpmap:126 is for a codec other than Opus/DTMF",
      "a=fmtp:111 is for a codec other than Opus/DTMF",
      "a=rtcp-fb:111 is for a codec other than Opus/DTMF",
      "missing a=rtpmap:109 opus/48000/2",
      "missing a=rtpmap:101 telephone-event/8000",
      "a=mid must be 0, got audio",
      'a=group:BUNDLE must be "0", got "audio"',
    ],
  );
});

Deno.test("a loopback-only answer passes: nothing better exists", () => {
  const sdp = GOOD_ANSWER.replace("10.0.0.5", "127.0.0.1").replace(/a=candidate:2 [^\r]*\r\n/, "");
  assert.deepEqual(checkWhatsAppAnswer(sdp), []);
});
