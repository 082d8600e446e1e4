import assert from "node:assert/strict";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  useOPUS,
  usePCMU,
} from "werift";
import { getAttributes, parseCandidate } from "./sdp.ts";
import { type ShapeOptions, shapeWhatsAppAnswer } from "./whatsapp_answer.ts";
import { checkWhatsAppAnswer } from "./whatsapp_checklist.ts";
import type { WhatsAppOffer } from "./whatsapp_offer.ts";
import { GOOD_ANSWER, mediaValues, offerOf, parsed } from "./whatsapp_test_utils.ts";

const FIXTURES = new URL("../../tests/fixtures/sdp/", import.meta.url);
const fixture = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));

const DOC_OFFER = await fixture("meta_doc_offer.sdp");
const AIORTC_OFFER = await fixture("meta_aiortc_offer.sdp");

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

/** Meta masks secrets in its published samples; valid stand-ins make them usable offers. */
function unmasked(offer: string): string {
  return offer.replace(/a=ice-pwd:\*+/, "a=ice-pwd:UApvJw3NcwFRDvIMKdM0vWCdlXah25E9").replace(
    /a=fingerprint:\*+/,
    "a=fingerprint:sha-256 1B:B6:6B:40:A5:0B:8C:75:0D:8C:CB:90:2F:99:74:1E:26:45:AE:AF:45:C1:51:60:8F:73:C9:2D:10:6D:8A:88",
  );
}

Deno.test("shapeWhatsAppAnswer's answer to every offer fixture passes the whole checklist", async () => {
  const names = [...Deno.readDirSync(FIXTURES)].map((e) => e.name).filter((n) =>
    n.endsWith(".sdp")
  );
  assert.ok(names.length >= 3, `fixtures found: ${names.join(", ")}`);
  for (const name of names.sort()) {
    const offerSdp = unmasked(await fixture(name));
    const offer = offerOf(offerSdp);
    const answer = await weriftAnswer(offerSdp);
    assert.notDeepEqual(
      checkWhatsAppAnswer(answer, offer),
      [],
      `${name}: werift's raw answer fails`,
    );
    assert.deepEqual(checkWhatsAppAnswer(shaped(answer, offer), offer), [], name);
  }
});

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

Deno.test("shapeWhatsAppAnswer adds c=IN IP4 0.0.0.0 when the answer has none, as Meta's own answer", () => {
  const sdp = shaped(GOOD_ANSWER.replace("c=IN IP4 0.0.0.0\r\n", ""), offerOf(AIORTC_OFFER));
  assert.ok(sdp.includes("m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\n"));
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

Deno.test("shapeWhatsAppAnswer moves a session-level setup and direction into the media section", () => {
  const answer = GOOD_ANSWER.replace("t=0 0", "t=0 0\r\na=setup:passive\r\na=recvonly")
    .replace("a=setup:active\r\n", "").replace("a=sendrecv\r\n", "");
  const sdp = shaped(answer, offerOf(AIORTC_OFFER));
  assert.deepEqual(getAttributes(parsed(sdp).session, "setup"), []);
  assert.ok(!parsed(sdp).session.some((l) => l.value === "recvonly"));
  assert.deepEqual(mediaValues(sdp, "setup"), ["setup:active"]);
  assert.deepEqual(mediaValues(sdp, "sendrecv"), ["sendrecv"]);
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
  assert.equal(before.length, 12, "one problem per broken rule");
  assert.ok(before.includes("a=ice-lite must not be present (be ICE-full)"));
  assert.ok(before.some((p) => p.startsWith("a=rtpmap:63 is for a codec other than Opus/DTMF; ")));
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
