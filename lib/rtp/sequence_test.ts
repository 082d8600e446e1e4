import assert from "node:assert/strict";
import { seqDiff, seqLessThan, SequenceUnwrapper, tsDiff } from "./sequence.ts";

Deno.test("seqDiff is signed and wraps at 16 bits", () => {
  assert.equal(seqDiff(5, 3), 2);
  assert.equal(seqDiff(3, 5), -2);
  assert.equal(seqDiff(0, 65535), 1);
  assert.equal(seqDiff(65535, 0), -1);
  assert.equal(seqDiff(10, 65530), 16);
  assert.equal(seqDiff(32767, 0), 32767);
  assert.equal(seqDiff(32768, 0), -32768);
});

Deno.test("seqLessThan follows the wrap", () => {
  assert.ok(seqLessThan(65535, 0));
  assert.ok(!seqLessThan(0, 65535));
  assert.ok(seqLessThan(1, 2));
  assert.ok(!seqLessThan(7, 7));
});

Deno.test("tsDiff is signed and wraps at 32 bits", () => {
  assert.equal(tsDiff(960, 0), 960);
  assert.equal(tsDiff(0, 960), -960);
  assert.equal(tsDiff(100, 0xffffff00), 356);
  assert.equal(tsDiff(0xffffff00, 100), -356);
  assert.equal(tsDiff(0x7fffffff, 0), 0x7fffffff);
  assert.equal(tsDiff(0x80000000, 0), -0x80000000);
});

Deno.test("SequenceUnwrapper extends across many wraps and keeps reordering", () => {
  const u = new SequenceUnwrapper();
  assert.equal(u.highest, undefined);
  assert.equal(u.unwrap(65534), 65534);
  assert.equal(u.unwrap(0), 65536);
  assert.equal(u.unwrap(65535), 65535); // reordered across the wrap
  assert.equal(u.highest, 65536);
  let seq = 0;
  let last = 65536;
  for (let i = 0; i < 5 * 65536; i += 1000) {
    seq = (seq + 1000) & 0xffff;
    const ext = u.unwrap(seq);
    assert.equal(ext, last + 1000);
    assert.equal(ext & 0xffff, seq);
    last = ext;
  }
  assert.equal(u.extend(seq - 3), last - 3);
  assert.equal(u.highest, last);
});

Deno.test("SequenceUnwrapper: a packet before the first maps below it; reset restarts", () => {
  const u = new SequenceUnwrapper();
  u.unwrap(0);
  assert.equal(u.unwrap(65535), -1);
  assert.equal(u.highest, 0);
  u.reset();
  assert.equal(u.unwrap(40000), 40000);
});
