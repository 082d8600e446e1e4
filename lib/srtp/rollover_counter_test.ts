import assert from "node:assert/strict";
import { RolloverCounter } from "./rollover_counter.ts";

/** Runs `seqs` through estimate → (authenticated) update, returning each packet's ROC. */
function track(counter: RolloverCounter, seqs: number[]): number[] {
  return seqs.map((seq) => {
    const roc = counter.estimate(seq);
    counter.update(seq, roc);
    return roc;
  });
}

Deno.test("ROC starts at 0 from any first sequence number", () => {
  assert.deepEqual(track(new RolloverCounter(), [40000, 40001]), [0, 0]);
  assert.deepEqual(track(new RolloverCounter(), [65535, 0, 1]), [0, 1, 1]);
});

Deno.test("a sender's increasing sequence numbers bump the ROC at each wrap", () => {
  const counter = new RolloverCounter();
  const rocs: number[] = [];
  let seq = 65000;
  for (let i = 0; i < 3 * 65536; i++) {
    rocs.push(track(counter, [seq])[0]!);
    seq = (seq + 1) & 0xffff;
  }
  assert.equal(rocs[535], 0); // seq 65535
  assert.equal(rocs[536], 1); // seq 0
  assert.equal(rocs[536 + 65536], 2);
  assert.equal(counter.roc, 3);
});

Deno.test("a packet reordered across the wrap keeps its old ROC, and does not move the state", () => {
  const counter = new RolloverCounter();
  track(counter, [65533, 65534, 0, 1]);
  assert.equal(counter.roc, 1);
  // 65535 was sent before 0: it belongs to ROC 0.
  assert.deepEqual(track(counter, [65535, 2]), [0, 1]);
  assert.equal(counter.roc, 1);
});

Deno.test("a packet that arrives after the wrap, before the last pre-wrap one, gets the next ROC", () => {
  const counter = new RolloverCounter();
  track(counter, [65500, 65534]);
  assert.deepEqual(track(counter, [3, 65535, 4]), [1, 0, 1]);
});

Deno.test("a packet that fails authentication leaves the state as it was", () => {
  const counter = new RolloverCounter();
  track(counter, [65530]);
  // A forged packet with SEQ 10 is guessed to be after a wrap, but never authenticates.
  assert.equal(counter.estimate(10), 1);
  assert.deepEqual(track(counter, [65531]), [0]);
  assert.equal(counter.roc, 0);
});

Deno.test("late packets from before the first wrap at ROC 0 get the wrapped guess", () => {
  const counter = new RolloverCounter();
  track(counter, [5]);
  // Older than anything under ROC 0: RFC 3711's v = ROC − 1 mod 2^32, which fails authentication.
  assert.equal(counter.estimate(65000), 0xffffffff);
});

/** A counter at ROC 1 whose highest authenticated sequence number is `highest`. */
function atRoc1(highest: number): RolloverCounter {
  const counter = new RolloverCounter();
  // Wrap once, then climb in quarter-range steps: no packet may look older than the wrap.
  const climb = Array.from({ length: Math.ceil(highest / 0x4000) }, (_, i) => i * 0x4000);
  track(counter, [65535, ...climb, highest]);
  assert.equal(counter.roc, 1);
  assert.equal(counter.estimate(highest), 1);
  return counter;
}

Deno.test("s_l < 2^15: SEQ − s_l = 2^15 keeps the ROC; only 2^15 + 1 means before the wrap", () => {
  // RFC 3711 §3.3.1: if (SEQ − s_l > 2^15) v = ROC − 1 else v = ROC, a strict comparison.
  for (const highest of [0, 100, 0x7fff]) {
    const counter = atRoc1(highest);
    assert.equal(counter.estimate(highest + 0x8000 - 1), 1, `s_l ${highest}, 2^15 − 1`);
    assert.equal(counter.estimate(highest + 0x8000), 1, `s_l ${highest}, exactly 2^15`);
    if (highest + 0x8001 <= 0xffff) {
      assert.equal(counter.estimate(highest + 0x8001), 0, `s_l ${highest}, 2^15 + 1`);
    }
  }
});

Deno.test("s_l ≥ 2^15: SEQ = s_l − 2^15 keeps the ROC; only one lower means after the wrap", () => {
  // RFC 3711 §3.3.1: if (s_l − 2^15 > SEQ) v = ROC + 1 else v = ROC, a strict comparison.
  for (const highest of [0x8000, 40000, 0xffff]) {
    const counter = atRoc1(highest);
    const edge = highest - 0x8000;
    assert.equal(counter.estimate(edge + 1), 1, `s_l ${highest}, SEQ = s_l − 2^15 + 1`);
    assert.equal(counter.estimate(edge), 1, `s_l ${highest}, SEQ = s_l − 2^15 exactly`);
    if (edge > 0) {
      assert.equal(counter.estimate(edge - 1), 2, `s_l ${highest}, SEQ = s_l − 2^15 − 1`);
    }
  }
});
