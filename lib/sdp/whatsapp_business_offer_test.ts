import assert from "node:assert/strict";
import {
  checkBusinessOffer,
  shapeBusinessOffer,
  validateMetaAnswer,
} from "./whatsapp_business_offer.ts";

const FP =
  "sha-256 0B:3E:9D:51:7C:2A:4F:88:19:E6:D0:55:A3:7B:C4:12:6E:9F:80:3D:B2:47:11:CE:5A:08:F3:94:2C:D7:61:AB";

/** What werift offers: trickle, extmap-allow-mixed, a second codec, two SSRC lines, private host. */
const WERIFT_OFFER = [
  "v=0",
  "o=- 1 0 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=extmap-allow-mixed",
  "a=msid-semantic:WMS *",
  "m=audio 50000 UDP/TLS/RTP/SAVPF 111 126 9",
  "c=IN IP4 10.0.0.5",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:0123456789abcdefghijkl",
  "a=ice-options:trickle",
  `a=fingerprint:${FP}`,
  "a=setup:actpass",
  "a=mid:0",
  "a=sendrecv",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:126 telephone-event/8000",
  "a=rtpmap:9 G722/8000",
  "a=ssrc:42 cname:x",
  "a=ssrc:42 msid:s t",
  "a=candidate:1 1 udp 2130706431 10.0.0.5 50000 typ host",
  "a=candidate:2 1 udp 2130706431 169.254.1.1 50001 typ host",
  "",
].join("\r\n");

Deno.test("business offer: werift's offer is shaped to Meta's rules", () => {
  const shaped = shapeBusinessOffer(WERIFT_OFFER, { publicIp: "203.0.113.7", ssrc: 7 });
  assert.ok(shaped.ok, shaped.ok ? "" : shaped.errors.join("; "));
  const sdp = shaped.sdp;
  assert.deepEqual(checkBusinessOffer(sdp), []);
  assert.match(sdp, /^m=audio 50000 UDP\/TLS\/RTP\/SAVPF 111 126\r$/m);
  assert.doesNotMatch(sdp, /G722|trickle|extmap-allow-mixed|169\.254/);
  assert.match(sdp, /a=candidate:1 1 udp 2130706431 203\.0\.113\.7 50000 typ host/);
  assert.match(sdp, /a=setup:actpass/);
  assert.match(sdp, /a=ptime:20/);
  assert.match(sdp, /a=ssrc:7 cname:x/);
  assert.equal(sdp.match(/a=fingerprint:/g)?.length, 1);
});

Deno.test("business offer: each of Meta's rules is checked", () => {
  const shaped = shapeBusinessOffer(WERIFT_OFFER);
  assert.ok(shaped.ok);
  const good = shaped.sdp;
  const broken: Array<[string, string, RegExp]> = [
    ["two fingerprints", good.replace("a=setup", `a=fingerprint:${FP}\r\na=setup`), /fingerprint/],
    ["G.722", good.replace("111 126", "111 126 9") + "a=rtpmap:9 G722/8000\r\n", /only Opus/],
    [
      "two SSRCs",
      good.replace("a=ssrc:42 cname:x", "a=ssrc:42 cname:x\r\na=ssrc:43 cname:y"),
      /single SSRC/,
    ],
    ["setup active", good.replace("setup:actpass", "setup:active"), /actpass/],
    ["trickle", good.replace("a=setup", "a=ice-options:trickle\r\na=setup"), /trickle/],
    ["ice-lite", good.replace("a=setup", "a=ice-lite\r\na=setup"), /ICE-full/],
    ["no candidates", good.replace(/a=candidate:[^\r]*\r\n/g, ""), /candidate/],
    ["ptime 40", good.replace("a=ptime:20", "a=ptime:40"), /ptime/],
  ];
  for (const [name, sdp, why] of broken) {
    assert.match(checkBusinessOffer(sdp).join("; "), why, name);
  }
});

const ANSWER = [
  "v=0",
  "o=- 2 0 IN IP4 31.13.65.130",
  "s=-",
  "t=0 0",
  "a=ice-lite",
  "a=group:BUNDLE 0",
  "m=audio 3482 UDP/TLS/RTP/SAVPF 111 126",
  "c=IN IP4 31.13.65.130",
  "a=ice-ufrag:wxyz",
  "a=ice-pwd:abcdefghijklmnopqrstuv",
  `a=fingerprint:${FP}`,
  "a=setup:active",
  "a=mid:0",
  "a=rtcp-mux",
  "a=rtpmap:111 opus/48000/2",
  "a=rtpmap:126 telephone-event/8000",
  "a=ssrc:99 cname:meta",
  "a=candidate:1 1 udp 2122260223 31.13.65.130 3482 typ host",
  "",
].join("\r\n");

Deno.test("Meta's answer: active and passive taken as they are, actpass read as active", () => {
  for (const setup of ["active", "passive"] as const) {
    const r = validateMetaAnswer(ANSWER.replace("setup:active", `setup:${setup}`));
    assert.ok(r.ok);
    assert.equal(r.answer.setup, setup);
    assert.equal(r.answer.setupCoerced, false);
    assert.equal(r.answer.iceLite, true);
  }
  const echoed = validateMetaAnswer(ANSWER.replace("setup:active", "setup:actpass"));
  assert.ok(echoed.ok);
  assert.equal(echoed.answer.setup, "active");
  assert.equal(echoed.answer.setupCoerced, true);
  assert.match(echoed.answer.sdp, /a=setup:active/);
  assert.doesNotMatch(echoed.answer.sdp, /actpass/);
});

Deno.test("Meta's answer: every problem is named", () => {
  const r = validateMetaAnswer(
    ANSWER.replace(/a=fingerprint:[^\r]*\r\n/, "").replace("a=setup:active\r\n", "")
      .replace(/a=candidate:[^\r]*\r\n/, "").replace("111 126", "110 126")
      .replace("rtpmap:111", "rtpmap:110"),
  );
  assert.ok(!r.ok);
  const all = r.errors.join("; ");
  for (const why of [/fingerprint/, /a=setup/, /candidate/, /payload type 111/]) {
    assert.match(all, why);
  }
  assert.ok(!validateMetaAnswer("not sdp").ok);
});
