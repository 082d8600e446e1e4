import assert from "node:assert/strict";
import {
  isRtcp,
  ONE_BYTE_PROFILE,
  parseRtp,
  type RtpPacket,
  type RtpParseErrorCode,
  rtpSize,
  serializeRtp,
  writeRtp,
  writeRtpHeader,
} from "./packet.ts";
import { mulberry32 as rng } from "../../simulator/prng.ts";

function fixture(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(`./testdata/${name}.bin`, import.meta.url));
}

function parseOk(bytes: Uint8Array): RtpPacket {
  const r = parseRtp(bytes);
  if (!r.ok) throw new Error(`unexpected ${r.error.code}: ${r.error.message}`);
  return r.packet;
}

const PAYLOAD = Uint8Array.from({ length: 20 }, (_, i) => i + 1);

function assertCommon(p: RtpPacket): void {
  assert.equal(p.version, 2);
  assert.equal(p.payloadType, 111);
  assert.equal(p.sequenceNumber, 0x1234);
  assert.equal(p.timestamp, 0x89abcdef);
  assert.equal(p.ssrc, 0xdeadbeef);
  assert.deepEqual(p.payload, PAYLOAD);
}

Deno.test("plain packet: fields, marker, byte-exact re-serialization", async () => {
  const bytes = await fixture("plain");
  const p = parseOk(bytes);
  assertCommon(p);
  assert.equal(p.marker, true);
  assert.equal(p.padding, 0);
  assert.deepEqual(p.csrcs, []);
  assert.equal(p.extension, null);
  assert.deepEqual(serializeRtp(p), bytes);
});

Deno.test("payload is a view aliasing the input", async () => {
  const bytes = await fixture("plain");
  const p = parseOk(bytes);
  assert.equal(p.payload.buffer, bytes.buffer);
  bytes[12] = 0xff;
  assert.equal(p.payload[0], 0xff);
});

Deno.test("CSRC list", async () => {
  const bytes = await fixture("csrcs");
  const p = parseOk(bytes);
  assertCommon(p);
  assert.equal(p.marker, false);
  assert.deepEqual(p.csrcs, [0x11111111, 0xfffffffe]);
  assert.deepEqual(serializeRtp(p), bytes);
});

Deno.test("one-byte header extension: elements, padding between them skipped", async () => {
  const bytes = await fixture("one_byte_ext");
  const p = parseOk(bytes);
  assertCommon(p);
  const ext = p.extension!;
  assert.equal(ext.profile, ONE_BYTE_PROFILE);
  assert.deepEqual(ext.data, Uint8Array.of(0x10, 0x85, 0x00, 0x22, 0xaa, 0xbb, 0xcc, 0x00));
  assert.deepEqual(ext.elements, [
    { id: 1, data: Uint8Array.of(0x85) },
    { id: 2, data: Uint8Array.of(0xaa, 0xbb, 0xcc) },
  ]);
  // Re-encoding packs the elements and pads at the end.
  const out = serializeRtp(p);
  assert.equal(out.length, bytes.length);
  assert.deepEqual(out.subarray(16, 24), Uint8Array.of(0x10, 0x85, 0x22, 0xaa, 0xbb, 0xcc, 0, 0));
  assert.deepEqual(parseOk(out).extension!.elements, ext.elements);
});

Deno.test("one-byte extension: id 15 stops element parsing", () => {
  const bytes = Uint8Array.of(
    ...[0x90, 0x6f, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3],
    ...[0xbe, 0xde, 0, 1, 0x10, 0x01, 0xf3, 0x22],
  );
  assert.deepEqual(parseOk(bytes).extension!.elements, [{ id: 1, data: Uint8Array.of(1) }]);
});

Deno.test("one-byte extension: id 0 with a length stops element parsing, so it re-serializes", () => {
  const bytes = Uint8Array.of(
    ...[0x90, 0x6f, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3],
    ...[0xbe, 0xde, 0, 1, 0x10, 0x01, 0x01, 0x22],
  );
  const p = parseOk(bytes);
  assert.deepEqual(p.extension!.elements, [{ id: 1, data: Uint8Array.of(1) }]);
  assert.deepEqual(parseOk(serializeRtp(p)).extension!.elements, p.extension!.elements);
});

Deno.test("two-byte header extension with appbits and an empty element", async () => {
  const bytes = await fixture("two_byte_ext");
  const p = parseOk(bytes);
  assertCommon(p);
  const ext = p.extension!;
  assert.equal(ext.profile, 0x1003);
  assert.deepEqual(ext.elements, [
    { id: 1, data: new Uint8Array(0) },
    { id: 200, data: Uint8Array.of(1, 2, 3) },
  ]);
  assert.deepEqual(serializeRtp(p), bytes);
});

Deno.test("unknown extension profile is kept raw and re-serialized as is", () => {
  const bytes = Uint8Array.of(
    ...[0x90, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3],
    ...[0x12, 0x34, 0, 1, 9, 8, 7, 6, 0xee],
  );
  const p = parseOk(bytes);
  assert.equal(p.extension!.profile, 0x1234);
  assert.equal(p.extension!.elements, null);
  assert.deepEqual(p.extension!.data, Uint8Array.of(9, 8, 7, 6));
  assert.deepEqual(p.payload, Uint8Array.of(0xee));
  assert.deepEqual(serializeRtp(p), bytes);
});

Deno.test("padding is stripped from the payload and counted", async () => {
  const bytes = await fixture("padding");
  const p = parseOk(bytes);
  assertCommon(p);
  assert.equal(p.padding, 4);
  assert.deepEqual(serializeRtp(p), bytes);
});

const BAD: [string, RtpParseErrorCode][] = [
  ["truncated_header", "truncated"],
  ["wrong_version", "bad_version"],
  ["padding_too_long", "bad_padding"],
  ["extension_past_end", "bad_extension"],
  ["csrc_past_end", "bad_csrc"],
];
for (const [name, code] of BAD) {
  Deno.test(`malformed fixture ${name} → ${code}`, async () => {
    const r = parseRtp(await fixture(name));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, code);
      assert.ok(r.error.message.length > 0);
    }
  });
}

Deno.test("padding count 0, extension header cut, element overrun are errors", () => {
  const header = [0x80, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
  const code = (bytes: number[]) => {
    const r = parseRtp(Uint8Array.from(bytes));
    return r.ok ? "ok" : r.error.code;
  };
  assert.equal(code([0xa0, ...header.slice(1), 5, 0]), "bad_padding");
  assert.equal(code([0xa0, ...header.slice(1), 1]), "ok");
  assert.equal(code([0x90, ...header.slice(1), 0xbe, 0xde, 0]), "bad_extension");
  // One-byte element id 1 claims 4 bytes in a 4-byte body.
  assert.equal(code([0x90, ...header.slice(1), 0xbe, 0xde, 0, 1, 0x13, 1, 2, 3]), "bad_extension");
  // Two-byte element header cut by the body end.
  assert.equal(code([0x90, ...header.slice(1), 0x10, 0x00, 0, 1, 0, 0, 0, 5]), "bad_extension");
  assert.equal(code([]), "truncated");
});

Deno.test("writeRtp writes at an offset into a caller buffer", async () => {
  const bytes = await fixture("csrcs");
  const p = parseOk(bytes);
  const out = new Uint8Array(100).fill(0xaa);
  assert.equal(rtpSize(p), bytes.length);
  assert.equal(writeRtp(p, out, 7), bytes.length);
  assert.deepEqual(out.subarray(7, 7 + bytes.length), bytes);
  assert.equal(out[6], 0xaa);
  assert.equal(out[7 + bytes.length], 0xaa);
  assert.throws(() => writeRtp(p, out, 61), RangeError);
});

Deno.test("writeRtpHeader writes the plain fixture's 12 header bytes, marker on and off", async () => {
  const bytes = await fixture("plain");
  const p = parseOk(bytes);
  const out = new Uint8Array(14).fill(0xaa);
  writeRtpHeader(out, p, 1);
  assert.deepEqual(out.subarray(1, 13), bytes.subarray(0, 12));
  assert.equal(out[0], 0xaa);
  assert.equal(out[13], 0xaa);
  writeRtpHeader(out, { ...p, marker: false });
  assert.equal(out[1], 111);
  assert.equal(parseOk(Uint8Array.of(...out.subarray(0, 12), 1)).sequenceNumber, 0x1234);
});

Deno.test("serializeRtp rejects packets the wire cannot carry", () => {
  const base: RtpPacket = {
    version: 2,
    padding: 0,
    marker: false,
    payloadType: 0,
    sequenceNumber: 0,
    timestamp: 0,
    ssrc: 0,
    csrcs: [],
    extension: null,
    payload: new Uint8Array(0),
  };
  const ext = (profile: number, id: number, n: number) => ({
    ...base,
    extension: { profile, data: new Uint8Array(0), elements: [{ id, data: new Uint8Array(n) }] },
  });
  assert.throws(() => serializeRtp({ ...base, csrcs: new Array(16).fill(1) }), RangeError);
  assert.throws(() => serializeRtp({ ...base, padding: 256 }), RangeError);
  assert.throws(() => serializeRtp(ext(ONE_BYTE_PROFILE, 15, 1)), RangeError);
  assert.throws(() => serializeRtp(ext(ONE_BYTE_PROFILE, 1, 17)), RangeError);
  assert.throws(() => serializeRtp(ext(ONE_BYTE_PROFILE, 1, 0)), RangeError);
  assert.throws(() => serializeRtp(ext(0x1000, 256, 1)), RangeError);
  assert.throws(() => serializeRtp(ext(0x1234, 1, 1)), RangeError);
  assert.throws(
    () =>
      serializeRtp({
        ...base,
        extension: { profile: 0x1234, data: new Uint8Array(3), elements: null },
      }),
    RangeError,
  );
  assert.doesNotThrow(() => serializeRtp(ext(0x1000, 255, 255)));
});

Deno.test("isRtcp: RFC 5761 payload-type range 64–95 in the second byte", () => {
  const second = (b1: number) => isRtcp(Uint8Array.of(0x80, b1, 0, 0));
  for (const pt of [200, 201, 202, 203, 204, 205, 206, 192, 223]) assert.ok(second(pt), `${pt}`);
  for (const b1 of [111, 111 | 0x80, 126, 0, 191, 224, 63]) assert.ok(!second(b1), `${b1}`);
  assert.ok(!isRtcp(Uint8Array.of(0x80)));
});

/** Equal fields; RFC 8285 extensions compare by elements (their raw layout may change). */
function assertSamePacket(got: RtpPacket, want: RtpPacket): void {
  const { extension, ...rest } = got;
  const { extension: wantExt, ...wantRest } = want;
  assert.deepEqual(rest, wantRest);
  assert.equal(extension?.profile, wantExt?.profile);
  if (wantExt?.elements === null) assert.deepEqual(extension?.data, wantExt.data);
  else assert.deepEqual(extension?.elements, wantExt?.elements);
}

function bytesOf(rand: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
}

Deno.test("fuzz: 100k random byte strings never throw and valid parses re-serialize", () => {
  const rand = rng(1);
  let parsed = 0;
  for (let i = 0; i < 100_000; i++) {
    const bytes = bytesOf(rand, (rand() * 80) | 0);
    // Bias half the inputs towards version 2 so the deeper paths run too.
    if (i % 2 === 0 && bytes.length > 0) bytes[0] = 0x80 | (bytes[0]! & 0x3f);
    const r = parseRtp(bytes);
    if (!r.ok) continue;
    parsed++;
    assertSamePacket(parseOk(serializeRtp(r.packet)), r.packet);
  }
  assert.ok(parsed > 1000, `only ${parsed} random inputs parsed`);
});

function randomPacket(rand: () => number): RtpPacket {
  const int = (n: number) => Math.floor(rand() * n);
  let extension: RtpPacket["extension"] = null;
  const kind = int(4);
  if (kind === 1) {
    const elements = Array.from({ length: int(4) }, () => ({
      id: 1 + int(14),
      data: bytesOf(rand, 1 + int(16)),
    }));
    extension = { profile: ONE_BYTE_PROFILE, data: new Uint8Array(0), elements };
  } else if (kind === 2) {
    const elements = Array.from({ length: int(4) }, () => ({
      id: 1 + int(255),
      data: bytesOf(rand, int(40)),
    }));
    extension = { profile: 0x1000 | int(16), data: new Uint8Array(0), elements };
  } else if (kind === 3) {
    extension = { profile: 0x2000 + int(0x1000), data: bytesOf(rand, 4 * int(5)), elements: null };
  }
  return {
    version: 2,
    padding: rand() < 0.3 ? 1 + int(255) : 0,
    marker: rand() < 0.5,
    payloadType: int(128),
    sequenceNumber: int(0x10000),
    timestamp: int(0x100000000),
    ssrc: int(0x100000000),
    csrcs: Array.from({ length: int(16) }, () => int(0x100000000)),
    extension,
    payload: bytesOf(rand, int(200)),
  };
}

Deno.test("fuzz: parse(serialize(p)) round-trips 20k random valid packets", () => {
  const rand = rng(2);
  for (let i = 0; i < 20_000; i++) {
    const p = randomPacket(rand);
    const bytes = serializeRtp(p);
    assert.equal(bytes.length, rtpSize(p));
    assertSamePacket(parseOk(bytes), p);
  }
});
