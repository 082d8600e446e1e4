import assert from "node:assert/strict";
import { OpusEncoder } from "../../lib/audio/opus.ts";
import { sine } from "../../lib/audio/tone.ts";
import { packetDurationTenthsMs, splitMultistream, toSelfDelimited } from "./opus_packet.ts";
import { oggCrc32, OggOpusWriter, readOggPages } from "./ogg_opus_writer.ts";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

// TOC configs (RFC 6716 Table 2): 9 SILK WB 20 ms; CELT FB 28/29/30/31 = 2.5/5/10/20 ms.
const toc = (config: number, code: number) => Uint8Array.of((config << 3) | code);

/** Packets of every framing code, frames of sizes both sides of the 252-byte two-byte mark. */
function samples(): Array<{ name: string; packet: Uint8Array; tenthsMs: number }> {
  return [
    { name: "code 0", packet: cat(toc(9, 0), bytes(40, 7)), tenthsMs: 200 },
    { name: "code 0, 300-byte frame", packet: cat(toc(31, 0), bytes(300, 1)), tenthsMs: 200 },
    { name: "code 1", packet: cat(toc(30, 1), bytes(60, 2)), tenthsMs: 200 }, // 2 × 10 ms
    {
      name: "code 2",
      packet: cat(toc(30, 2), Uint8Array.of(10), bytes(10, 3), bytes(25, 4)),
      tenthsMs: 200,
    },
    {
      name: "code 3 CBR, padded",
      packet: cat(toc(29, 3), Uint8Array.of(0x40 | 4, 3), bytes(4 * 9, 5), bytes(3, 0)),
      tenthsMs: 200, // 4 × 5 ms CELT
    },
    {
      name: "code 3 VBR, padded, a 260-byte frame",
      packet: cat(
        toc(31, 3),
        Uint8Array.of(0x80 | 0x40 | 2, 2),
        Uint8Array.of(252, 2),
        bytes(260, 6),
        bytes(7, 8),
        bytes(2, 0),
      ),
      tenthsMs: 400,
    },
  ];
}

Deno.test("opus packets: duration from the TOC and frame count, for every framing code", () => {
  for (const s of samples()) assert.equal(packetDurationTenthsMs(s.packet), s.tenthsMs, s.name);
  const real = new OpusEncoder().encode(sine(440, 24000, 480, 8000));
  assert.equal(packetDurationTenthsMs(real), 200);
  assert.equal(packetDurationTenthsMs(new Uint8Array(0)), undefined);
  assert.equal(packetDurationTenthsMs(cat(toc(9, 1), bytes(3, 0))), undefined, "odd code 1 body");
});

Deno.test("opus packets: self-delimited then split back gives each stream's packet unchanged", () => {
  const last = new OpusEncoder().encode(sine(1000, 24000, 480, 8000));
  for (const s of samples()) {
    const sd = toSelfDelimited(s.packet)!;
    assert.equal(sd.length > s.packet.length, true, s.name);
    const [a, b] = splitMultistream(cat(sd, last), 2)!;
    assert.deepEqual([...a!], [...s.packet], s.name);
    assert.deepEqual([...b!], [...last], s.name);
  }
  // RFC 6716 Appendix B: a code 0 frame of 40 bytes gets its size, 40, after the TOC.
  assert.deepEqual([...toSelfDelimited(cat(toc(9, 0), bytes(40, 7)))!.subarray(0, 2)], [
    9 << 3,
    40,
  ]);
});

Deno.test("ogg: RFC 3533's CRC (check value of '123456789'), pages that read back, EOS and granule", () => {
  assert.equal(oggCrc32(new TextEncoder().encode("123456789")), 0x89a1897f);
  const w = new OggOpusWriter({ channels: 2, preSkip: 312, inputSampleRate: 24000 }, 42);
  for (let i = 0; i < 120; i++) w.addPacket(bytes(300, i & 0xff), 960); // 2 lacing values each
  // Granules count decoded samples (pre-skip included): the last may trim the final packet.
  w.end(120 * 960 - 100);
  const pages = readOggPages(cat(...w.pages()));
  assert.ok(pages.every((p) => p.crcOk));
  assert.deepEqual(pages.map((p) => p.sequence), pages.map((_, i) => i));
  assert.equal(pages[0]!.flags, 0x02, "BOS on the head page");
  assert.equal(pages.at(-1)!.flags, 0x04, "EOS on the last");
  assert.equal(pages.at(-1)!.granule, 120 * 960 - 100, "end trimmed by the final granule");
  assert.equal(pages[3]!.granule, 100 * 960, "after the head, tags and two 50-packet pages");
  const packets = pages.slice(2).flatMap((p) => p.packets);
  assert.equal(packets.length, 120);
  assert.ok(packets.every((p, i) => p.length === 300 && p[0] === (i & 0xff)));
});
