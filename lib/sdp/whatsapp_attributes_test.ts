import assert from "node:assert/strict";
import { attribute } from "./sdp.ts";
import {
  bundleOf,
  checkIceCredential,
  directionsOf,
  findCodec,
  fingerprintOf,
  fmtpOf,
  inherited,
  parseFingerprint,
  parseSsrc,
} from "./whatsapp_attributes.ts";

const SECTION = [
  { type: "m", value: "audio 9 UDP/TLS/RTP/SAVPF 111 126" },
  attribute("rtpmap", "111 OPUS/48000/2"),
  attribute("fmtp", "111 minptime=20"),
  attribute("rtpmap", "96 opus/48000/2"),
  attribute("rtpmap", "126 telephone-event/8000"),
  attribute("sendrecv"),
];

Deno.test("findCodec matches name case-insensitively, clock and channels, among the listed formats only", () => {
  assert.equal(findCodec(SECTION, ["111", "126"], "opus", 48000, 2), 111);
  assert.equal(findCodec(SECTION, ["96"], "opus", 48000, 2), 96);
  assert.equal(findCodec(SECTION, ["126"], "opus", 48000, 2), undefined);
  assert.equal(findCodec(SECTION, ["111"], "opus", 48000, 1), undefined);
  assert.equal(findCodec(SECTION, ["126"], "telephone-event", 8000), 126);
  assert.equal(findCodec(SECTION, ["126"], "telephone-event", 48000), undefined);
});

Deno.test("fmtpOf finds the parameters of one payload type", () => {
  assert.equal(fmtpOf(SECTION, 111), "minptime=20");
  assert.equal(fmtpOf(SECTION, 126), undefined);
});

Deno.test("inherited prefers the media level and falls back to the session", () => {
  const session = [attribute("ice-ufrag", "sess"), attribute("setup", "actpass")];
  assert.equal(inherited(session, [attribute("ice-ufrag", "media")], "ice-ufrag"), "media");
  assert.equal(inherited(session, SECTION, "setup"), "actpass");
  assert.equal(inherited([], SECTION, "setup"), undefined);
});

Deno.test("parseFingerprint lowercases the hash and rejects other shapes", () => {
  assert.deepEqual(parseFingerprint(" SHA-256 AB:CD "), { algorithm: "sha-256", value: "AB:CD" });
  assert.equal(parseFingerprint("****"), undefined);
  assert.equal(parseFingerprint("sha-256 AB CD"), undefined);
  assert.deepEqual(fingerprintOf(attribute("fingerprint", "sha-1 AA")), {
    algorithm: "sha-1",
    value: "AA",
  });
  assert.equal(fingerprintOf(attribute("setup", "active")), undefined);
});

Deno.test("bundleOf reads the BUNDLE group only, directionsOf every direction", () => {
  assert.deepEqual(bundleOf([attribute("group", "LS a b"), attribute("group", "BUNDLE 0 1")]), [
    "0",
    "1",
  ]);
  assert.equal(bundleOf([attribute("group", "LS a")]), undefined);
  assert.deepEqual(directionsOf([...SECTION, attribute("inactive"), attribute("sendrecv:x")]), [
    "sendrecv",
    "inactive",
  ]);
});

Deno.test("parseSsrc splits id and attribute and rejects ids beyond 32 bits", () => {
  assert.deepEqual(parseSsrc("4294967295 cname:a:b"), {
    id: 4294967295,
    attribute: "cname",
    rest: "cname:a:b",
  });
  assert.equal(parseSsrc("4294967296 cname:x"), undefined);
  assert.equal(parseSsrc("12 "), undefined);
});

Deno.test("checkIceCredential: missing, masked, too short, too long, invisible characters", () => {
  assert.equal(checkIceCredential("ice-ufrag", "ab4d", 4), undefined);
  assert.equal(checkIceCredential("ice-ufrag", undefined, 4), "missing a=ice-ufrag");
  assert.equal(checkIceCredential("ice-pwd", "****", 22), 'a=ice-pwd is masked ("****")');
  assert.equal(
    checkIceCredential("ice-ufrag", "abc", 4),
    'a=ice-ufrag must be 4–256 visible characters, got "abc"',
  );
  assert.match(checkIceCredential("ice-ufrag", "a".repeat(257), 4)!, /must be 4–256/);
  assert.match(checkIceCredential("ice-ufrag", "ab d", 4)!, /must be 4–256 visible/);
});
