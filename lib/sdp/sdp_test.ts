import assert from "node:assert/strict";
import {
  attribute,
  formatCandidate,
  formatMediaLine,
  getAttribute,
  getAttributes,
  hasAttribute,
  MAX_SDP_LENGTH,
  parseCandidate,
  parseFmtp,
  parseMediaLine,
  parseRtcpFb,
  parseRtpmap,
  parseSdp,
  removeAttribute,
  type Result,
  type Sdp,
  serializeSdp,
  setAttribute,
  splitAttribute,
  upsertLine,
} from "./sdp.ts";

const FIXTURES = ["meta_doc_offer.sdp", "meta_sip_sample_offer.sdp", "meta_aiortc_offer.sdp"];

function fixture(name: string): Promise<string> {
  return Deno.readTextFile(new URL(`../../tests/fixtures/sdp/${name}`, import.meta.url));
}

function ok<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function error<T>(result: Result<T>): string {
  assert.equal(result.ok, false);
  return (result as { ok: false; error: string }).error;
}

for (const name of FIXTURES) {
  Deno.test(`parseSdp/serializeSdp round-trips ${name} byte for byte`, async () => {
    const text = await fixture(name);
    assert.ok(text.endsWith("\r\n"));
    assert.equal(serializeSdp(ok(parseSdp(text))), text);
  });
}

Deno.test("parseSdp splits session lines from media sections", async () => {
  const sdp = ok(parseSdp(await fixture("meta_doc_offer.sdp")));
  assert.deepEqual(sdp.session.slice(0, 2), [
    { type: "v", value: "0" },
    { type: "o", value: "- 7602563789789945080 2 IN IP4 127.0.0.1" },
  ]);
  assert.equal(sdp.session.length, 7);
  assert.equal(sdp.media.length, 1);
  const audio = sdp.media[0]!;
  assert.deepEqual(audio[0], { type: "m", value: "audio 40012 UDP/TLS/RTP/SAVPF 111 126" });
  assert.deepEqual(audio[audio.length - 1], {
    type: "a",
    value: "ssrc:4208138518 msid:6932bc1c-db1a-4abe-b437-0c4168be8a13 audio#R5wfXFcdmT6",
  });
});

Deno.test("parseSdp accepts LF, stray blank lines and trailing whitespace; serialize emits CRLF", () => {
  const sdp = ok(
    parseSdp(
      "v=0\no=- 1 2 IN IP4 0.0.0.0  \n\ns=-\t\r\nt=0 0\nm=audio 9 RTP/AVP 0\na=x-unknown:keep me",
    ),
  );
  assert.equal(
    serializeSdp(sdp),
    "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=x-unknown:keep me\r\n",
  );
});

Deno.test("serializeSdp keeps several media sections in order", () => {
  const sdp: Sdp = {
    session: [{ type: "v", value: "0" }],
    media: [[{ type: "m", value: "audio 9 RTP/AVP 0" }], [{
      type: "m",
      value: "video 9 RTP/AVP 96",
    }, attribute("mid", "v")]],
  };
  const text = serializeSdp(sdp);
  assert.equal(text, "v=0\r\nm=audio 9 RTP/AVP 0\r\nm=video 9 RTP/AVP 96\r\na=mid:v\r\n");
  assert.deepEqual(ok(parseSdp(text)), sdp);
});

Deno.test("parseSdp returns typed errors for hostile or garbage input", () => {
  assert.match(error(parseSdp("")), /empty/);
  assert.match(error(parseSdp("\r\n\r\n")), /empty/);
  assert.match(
    error(parseSdp("hello world")),
    /line 1: expected "<letter>=<value>", got "hello world"/,
  );
  assert.match(error(parseSdp("o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n")), /must start with "v=0"/);
  assert.match(error(parseSdp("v=1\r\n")), /must start with "v=0"/);
  assert.match(error(parseSdp("v=0\r\nA=upper\r\n")), /line 2/);
  assert.match(error(parseSdp("v=0\r\na=bad\0nul\r\n")), /line 2 contains a control character/);
  assert.match(error(parseSdp("v=0\r\na=lone\rcr\r\n")), /control character/);
  assert.match(error(parseSdp("v=0\r\n" + "a=x\r\n".repeat(MAX_SDP_LENGTH))), /limit is 65536/);
  assert.match(error(parseSdp(42 as unknown as string)), /must be a string/);
  assert.match(error(parseSdp('{"sdp":"v=0"}')), /line 1/);
  // Long garbage is quoted truncated, not echoed whole.
  assert.ok(error(parseSdp("x".repeat(10_000))).length < 200);
});

Deno.test("parseSdp never throws on random bytes", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const chars = Array.from({ length: next() % 80 }, () => String.fromCharCode(next() % 128));
    const result = parseSdp("v=0\n" + chars.join(""));
    if (result.ok) assert.equal(result.value.session[0]!.value, "0");
    else assert.equal(typeof result.error, "string");
  }
});

Deno.test("attribute helpers get, set, upsert and remove", () => {
  const lines = [
    attribute("mid", "0"),
    attribute("rtcp-mux"),
    attribute("fingerprint", "sha-256 AA"),
    attribute("fingerprint", "sha-384 BB"),
    attribute("midx", "not mid"),
    { type: "b", value: "AS:30" },
  ];
  assert.deepEqual(splitAttribute(lines[0]!), { name: "mid", value: "0" });
  assert.deepEqual(splitAttribute(lines[1]!), { name: "rtcp-mux", value: undefined });
  assert.equal(splitAttribute(lines[5]!), undefined);
  assert.equal(getAttribute(lines, "mid"), "0");
  assert.equal(getAttribute(lines, "rtcp-mux"), "");
  assert.equal(getAttribute(lines, "setup"), undefined);
  assert.deepEqual(getAttributes(lines, "fingerprint"), ["sha-256 AA", "sha-384 BB"]);
  assert.ok(hasAttribute(lines, "rtcp-mux"));
  assert.ok(!hasAttribute(lines, "mi"));

  const set = setAttribute(lines, "fingerprint", "sha-256 CC");
  assert.deepEqual(set.map((l) => l.value), [
    "mid:0",
    "rtcp-mux",
    "fingerprint:sha-256 CC",
    "midx:not mid",
    "AS:30",
  ]);
  assert.deepEqual(setAttribute(lines, "setup", "active").at(-1), {
    type: "a",
    value: "setup:active",
  });
  assert.equal(lines.length, 6, "helpers do not mutate their input");

  assert.deepEqual(
    removeAttribute(lines, "fingerprint", (v) => !v.startsWith("sha-256")).map((l) => l.value),
    ["mid:0", "rtcp-mux", "fingerprint:sha-256 AA", "midx:not mid", "AS:30"],
  );
  assert.deepEqual(removeAttribute(lines, "mid").map((l) => l.value), [
    "rtcp-mux",
    "fingerprint:sha-256 AA",
    "fingerprint:sha-384 BB",
    "midx:not mid",
    "AS:30",
  ]);
  const upserted = upsertLine(lines, (l) => l.type === "b", { type: "b", value: "TIAS:1" });
  assert.deepEqual(upserted.at(-1), { type: "b", value: "TIAS:1" });
  assert.equal(upserted.length, 6);
});

Deno.test("parseMediaLine / formatMediaLine", () => {
  const m = ok(parseMediaLine("audio 40012 UDP/TLS/RTP/SAVPF 111 126"));
  assert.deepEqual(m, {
    media: "audio",
    port: 40012,
    proto: "UDP/TLS/RTP/SAVPF",
    formats: ["111", "126"],
  });
  assert.equal(formatMediaLine(m), "audio 40012 UDP/TLS/RTP/SAVPF 111 126");
  const counted = ok(parseMediaLine("video 5004/2 RTP/AVP 96"));
  assert.equal(counted.portCount, 2);
  assert.equal(formatMediaLine(counted), "video 5004/2 RTP/AVP 96");
  assert.match(error(parseMediaLine("audio 9")), /needs media, port and proto/);
  assert.match(error(parseMediaLine("audio 70000 RTP/AVP 0")), /invalid port/);
  assert.match(error(parseMediaLine("audio 9/x RTP/AVP 0")), /invalid port/);
  assert.match(error(parseMediaLine("audio 9/1/2 RTP/AVP 0")), /invalid port/);
});

Deno.test("parseRtpmap / parseFmtp / parseRtcpFb", () => {
  assert.deepEqual(ok(parseRtpmap("111 opus/48000/2")), {
    payloadType: 111,
    encodingName: "opus",
    clockRate: 48000,
    channels: 2,
  });
  assert.deepEqual(ok(parseRtpmap("126 telephone-event/8000")), {
    payloadType: 126,
    encodingName: "telephone-event",
    clockRate: 8000,
  });
  assert.match(error(parseRtpmap("128 opus/48000/2")), /rtpmap must be/);
  assert.match(error(parseRtpmap("111 opus")), /invalid encoding/);
  assert.match(error(parseRtpmap("111 opus/48000/x")), /invalid encoding/);
  assert.match(error(parseRtpmap("111 opus/48000/2 extra")), /rtpmap must be/);

  assert.deepEqual(ok(parseFmtp("111 minptime=10;useinbandfec=1")), {
    payloadType: 111,
    parameters: "minptime=10;useinbandfec=1",
  });
  assert.deepEqual(ok(parseFmtp("101 0-16")), { payloadType: 101, parameters: "0-16" });
  assert.deepEqual(ok(parseFmtp("101")), { payloadType: 101, parameters: "" });
  assert.match(error(parseFmtp("opus minptime=10")), /fmtp must be/);

  assert.deepEqual(ok(parseRtcpFb("111 transport-cc")), {
    payloadType: 111,
    feedback: "transport-cc",
  });
  assert.deepEqual(ok(parseRtcpFb("* nack pli")), { payloadType: "*", feedback: "nack pli" });
  assert.match(error(parseRtcpFb("111")), /rtcp-fb must be/);
});

Deno.test("parseCandidate reads host, IPv6, srflx and TCP candidates and keeps extensions", () => {
  const meta =
    "1972637320 1 udp 2113937151 31.13.65.60 40012 typ host generation 0 network-cost 50 ufrag 6k2qP1R6kBfI/2";
  const host = ok(parseCandidate(meta));
  assert.deepEqual(host, {
    foundation: "1972637320",
    component: 1,
    transport: "udp",
    priority: 2113937151,
    address: "31.13.65.60",
    port: 40012,
    type: "host",
    extensions: [["generation", "0"], ["network-cost", "50"], ["ufrag", "6k2qP1R6kBfI/2"]],
  });
  assert.equal(formatCandidate(host), meta);

  const v6 = ok(
    parseCandidate(
      "candidate:1652262791 1 udp 2113939711 2a03:2880:f211:cf:face:b00c:0:6443 40012 typ host",
    ),
  );
  assert.equal(v6.address, "2a03:2880:f211:cf:face:b00c:0:6443");

  const srflxText =
    "842163049 1 udp 1677729535 203.0.113.7 61000 typ srflx raddr 10.0.0.5 rport 51000 generation 0";
  const srflx = ok(parseCandidate(srflxText));
  assert.equal(srflx.relatedAddress, "10.0.0.5");
  assert.equal(srflx.relatedPort, 51000);
  assert.equal(formatCandidate(srflx), srflxText);

  const tcpText = "3 1 tcp 1518280448 157.240.22.131 3478 typ host tcptype passive generation 0";
  const tcp = ok(parseCandidate(tcpText));
  assert.equal(tcp.tcpType, "passive");
  assert.equal(formatCandidate(tcp), tcpText);
});

Deno.test("parseCandidate rejects malformed candidates with the reason", () => {
  assert.match(error(parseCandidate("1 1 udp 1 1.2.3.4 9 typ")), /at least 8 fields/);
  assert.match(error(parseCandidate("1 0 udp 1 1.2.3.4 9 typ host")), /invalid component "0"/);
  assert.match(error(parseCandidate("1 1 udp 99999999999 1.2.3.4 9 typ host")), /invalid priority/);
  assert.match(error(parseCandidate("1 1 udp 1 1.2.3.4 65536 typ host")), /invalid port "65536"/);
  assert.match(error(parseCandidate("1 1 udp 1 1.2.3.4 9 type host")), /expected "typ"/);
  assert.match(
    error(parseCandidate("1 1 udp 1 1.2.3.4 9 typ host generation")),
    /"generation" has no value/,
  );
  assert.match(
    error(parseCandidate("1 1 udp 1 1.2.3.4 9 typ srflx raddr 1.1.1.1 rport x")),
    /invalid rport/,
  );
});
