import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { RtpHeader, RtpPacket } from "werift";
import {
  extensionOverruns,
  parseRtpHeader,
  weriftParseRtpHeader,
  writeRtpHeader,
} from "./werift_rtp_fix.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { mulberry32 } from "../../simulator/prng.ts";

/** Both parsers' outcome: the header's fields, or the error's class. */
function outcome(parse: (raw: Buffer) => RtpHeader, raw: Buffer): unknown {
  try {
    return { ...parse(raw) };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

/** werift's outcome, except that an overrunning extension is refused (see the DoS test). */
function assertSameAsWerift(raw: Buffer, what: string): void {
  const expected = extensionOverruns(raw)
    ? { threw: "RangeError" }
    : outcome(weriftParseRtpHeader, raw);
  assert.deepEqual(outcome(parseRtpHeader, raw), expected, what);
}

Deno.test("werift RTP fix: the wire fixtures parse exactly as werift parses them", async () => {
  const dir = new URL("../../lib/rtp/testdata/", import.meta.url);
  let files = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(".bin")) continue;
    assertSameAsWerift(Buffer.from(await Deno.readFile(new URL(entry.name, dir))), entry.name);
    files++;
  }
  assert.ok(files >= 10, `only ${files} fixtures found`);
});

Deno.test("werift RTP fix: random headers, every first byte, match werift field for field", () => {
  const rand = mulberry32(4733);
  for (let i = 0; i < 5000; i++) {
    const raw = Buffer.from(
      Array.from({ length: (rand() * 200) | 0 }, () => (rand() * 256) | 0),
    );
    if (raw.length > 0) raw[0] = i & 0xff; // every V/P/X/CC combination, padding included
    assertSameAsWerift(raw, `packet ${i}: ${raw.subarray(0, 12).toString("hex")}`);
  }
});

Deno.test("werift RTP fix: an Opus packet's header is read without werift's parser", () => {
  const raw = Buffer.from("80ef1234deadbeefcafef00d" + "fc".repeat(40), "hex");
  const h = parseRtpHeader(raw);
  assert.equal(h.marker, true);
  assert.equal(h.payloadType, 111);
  assert.equal(h.sequenceNumber, 0x1234);
  assert.equal(h.timestamp, 0xdeadbeef);
  assert.equal(h.ssrc, 0xcafef00d);
  assert.equal(h.payloadOffset, 12);
  assert.deepEqual({ ...h }, { ...weriftParseRtpHeader(raw) });
});

Deno.test("werift RTP fix: installed, werift's RtpPacket uses it and round-trips", () => {
  installWeriftPatches();
  assert.equal(RtpHeader.deSerialize, parseRtpHeader);
  const header = new RtpHeader({
    payloadType: 111,
    sequenceNumber: 65535,
    timestamp: 4e9,
    ssrc: 7,
  });
  const sent = new RtpPacket(header, Buffer.from([1, 2, 3])).serialize();
  const got = RtpPacket.deSerialize(sent);
  assert.equal(got.header.sequenceNumber, 65535);
  assert.equal(got.header.timestamp, 4e9);
  assert.deepEqual([...got.payload], [1, 2, 3]);
});

Deno.test("werift RTP fix: plain headers are written byte for byte as werift serializes them", () => {
  const rand = mulberry32(3550);
  const out = new Uint8Array(12);
  for (let i = 0; i < 2000; i++) {
    const h = new RtpHeader({
      padding: (i & 1) === 1,
      marker: (i & 2) === 2,
      payloadType: (rand() * 128) | 0,
      sequenceNumber: (rand() * 65536) | 0,
      timestamp: (rand() * 2 ** 32) >>> 0,
      ssrc: (rand() * 2 ** 32) >>> 0,
    });
    assert.deepEqual([...writeRtpHeader(h, out)!], [...h.serialize(h.serializeSize)]);
  }
  const withCsrc = new RtpHeader({ csrc: [1], payloadType: 111 });
  assert.equal(writeRtpHeader(withCsrc, out), null, "CSRCs are left to werift");
});

Deno.test("werift RTP fix: an extension running past the packet is refused at once, not parsed for minutes", () => {
  installWeriftPatches();
  // Found by `deno task fuzz --target rtp-werift --seed 1718616619`: werift alone spent minutes on it.
  const forged = Buffer.from("kBYSNImrzf/////vvt4vAxCFAAA6", "base64");
  const started = performance.now();
  assert.throws(() => RtpHeader.deSerialize(forged), /runs past the packet/);
  assert.throws(() => RtpPacket.deSerialize(forged), /runs past the packet/);
  assert.ok(performance.now() - started < 50);
  // An extension that fits still parses, through werift.
  const fits = Buffer.from([
    0x90,
    111,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    2,
    0xbe,
    0xde,
    0,
    1,
    0x10,
    0xaa,
    0,
    0,
  ]);
  assert.equal(RtpHeader.deSerialize(fits).extensions.length, 1);
});
