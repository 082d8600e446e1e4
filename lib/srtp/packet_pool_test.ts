import assert from "node:assert/strict";
import { allocPacket, SLAB_BYTES } from "./packet_pool.ts";

Deno.test("pooled packets are zeroed, 8-byte aligned and never overlap", () => {
  const packets = Array.from(
    { length: 3 * (SLAB_BYTES / 100) },
    (_, i) => allocPacket(90 + (i % 17)),
  );
  const spans = new Map<ArrayBufferLike, Array<[number, number]>>();
  for (const p of packets) {
    assert.ok(p.every((b) => b === 0));
    assert.equal(p.byteOffset % 8, 0);
    const list = spans.get(p.buffer) ?? [];
    for (const [start, end] of list) {
      assert.ok(p.byteOffset >= end || p.byteOffset + p.length <= start);
    }
    list.push([p.byteOffset, p.byteOffset + p.length]);
    spans.set(p.buffer, list);
    p.fill(0xff);
  }
  // Many packets share a slab, and slabs roll over when full.
  assert.ok(spans.size >= 3 && spans.size < packets.length / 10);
  for (const buffer of spans.keys()) assert.equal(buffer.byteLength, SLAB_BYTES);
});

Deno.test("large packets get their own buffer", () => {
  const big = allocPacket(SLAB_BYTES / 2);
  assert.equal(big.byteOffset, 0);
  assert.equal(big.buffer.byteLength, SLAB_BYTES / 2);
  assert.equal(allocPacket(0).length, 0);
});
