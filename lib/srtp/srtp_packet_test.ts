import assert from "node:assert/strict";
import { headerFits, rtpSequence, rtpSsrc, startPacket } from "./srtp_packet.ts";

Deno.test("rtpSsrc and rtpSequence read the fixed header fields", () => {
  const h = Uint8Array.of(0x80, 0x6f, 0xab, 0xcd, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef);
  assert.equal(rtpSequence(h), 0xabcd);
  assert.equal(rtpSsrc(h) >>> 0, 0xdeadbeef);
});

Deno.test("headerFits accepts whole lengths from 12 to the end only", () => {
  assert.ok(headerFits(12, 12));
  assert.ok(headerFits(20, 30));
  for (const h of [11, 31, 12.5, NaN, -12, Infinity]) assert.equal(headerFits(h, 30), false);
});

Deno.test("startPacket copies the header and payload into a fresh packet", () => {
  const header = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const out = startPacket(24, header, 12, Uint8Array.of(9, 9));
  assert.deepEqual([...out], [...header.subarray(0, 12), 9, 9, ...new Array(10).fill(0)]);
  assert.deepEqual([...startPacket(13, header, 12)], [...header.subarray(0, 12), 0]);
});
