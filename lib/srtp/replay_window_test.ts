import assert from "node:assert/strict";
import { REPLAY_WINDOW_SIZE, ReplayWindow, srtpIndex } from "./replay_window.ts";
import { mulberry32 } from "../../simulator/prng.ts";

const SIZE = REPLAY_WINDOW_SIZE;

/** A window that has authenticated `indexes`, in that order. */
function windowOf(indexes: number[]): ReplayWindow {
  const w = new ReplayWindow();
  for (const i of indexes) {
    assert.ok(w.check(i), `index ${i} refused while building`);
    w.accept(i);
  }
  return w;
}

Deno.test("the index is ROC · 2^16 + SEQ, exact up to 48 bits", () => {
  assert.equal(srtpIndex(0, 65535) + 1, srtpIndex(1, 0));
  assert.equal(srtpIndex(0xffffffff, 0xffff), 2 ** 48 - 1);
});

Deno.test("any first index is fresh; once authenticated it is a replay", () => {
  for (const first of [0, 1, 65535, srtpIndex(7, 3), 2 ** 48 - 1]) {
    const w = new ReplayWindow();
    assert.equal(w.highest, -1);
    assert.ok(w.check(first));
    w.accept(first);
    assert.equal(w.check(first), false, `replay of ${first}`);
    assert.ok(w.check(first + 1));
  }
});

Deno.test("exact window edge: SIZE-1 behind the highest is checked, SIZE behind is too old", () => {
  const top = 1000;
  const w = windowOf([top]);
  assert.equal(w.check(top - (SIZE - 1)), true, "oldest slot of the window, never seen");
  assert.equal(w.check(top - SIZE), false, "one past the window's edge");
  // Its slot is the highest's; further back, slots are free, but the index is just as old.
  assert.equal(w.check(top - SIZE - 2), false, "past the edge, on an unused slot");
  w.accept(top - (SIZE - 1));
  assert.equal(w.check(top - (SIZE - 1)), false, "the edge packet, replayed");
  // One step forward pushes that edge packet out; the next-oldest slot becomes the edge.
  w.accept(top + 1);
  assert.equal(w.check(top - (SIZE - 1)), false, "now too old");
  assert.equal(w.check(top - (SIZE - 2)), true);
});

Deno.test("reordering within the window is accepted once, in any order", () => {
  const w = windowOf([10, 14, 12, 11]);
  assert.equal(w.highest, 14);
  for (const seen of [10, 11, 12, 14]) assert.equal(w.check(seen), false, `replay of ${seen}`);
  assert.equal(w.check(13), true, "late, unseen");
  w.accept(13);
  assert.equal(w.check(13), false);
});

Deno.test("across a SEQ wrap (ROC 0 → 1), late packets of ROC 0 are accepted once", () => {
  const w = windowOf([srtpIndex(0, 65534), srtpIndex(1, 0), srtpIndex(1, 1)]);
  assert.equal(w.check(srtpIndex(0, 65535)), true, "sent before the wrap, arrived after it");
  w.accept(srtpIndex(0, 65535));
  assert.equal(w.check(srtpIndex(0, 65535)), false);
  assert.equal(w.check(srtpIndex(0, 65534)), false);
  assert.equal(w.check(srtpIndex(1, 0)), false);
  // The same SEQ one ROC later is a different packet.
  assert.equal(w.check(srtpIndex(2, 0)), true);
});

Deno.test("at ROC ≥ 2^31 and next to 2^48 the bits still address the right slots", () => {
  const base = srtpIndex(0xfffffffe, 0xffc0);
  const w = windowOf([base, base + 2, base + 64, base + 100]);
  for (const d of [0, 2, 64, 100]) assert.equal(w.check(base + d), false, `replay of +${d}`);
  for (const d of [1, 3, 63, 65, 99]) assert.equal(w.check(base + d), true, `unseen +${d}`);
});

Deno.test("a slide clears the slots it reuses; a jump of a whole window clears them all", () => {
  const full = windowOf(Array.from({ length: SIZE }, (_, i) => i)); // 0..127, every slot set
  full.accept(SIZE + 2); // slides by 3: slots of 0, 1, 2 now mean 128, 129, 130
  assert.equal(full.check(SIZE), true, "128 reuses 0's slot, unseen");
  assert.equal(full.check(SIZE + 1), true, "129 reuses 1's slot, unseen");
  assert.equal(full.check(SIZE + 2), false);
  assert.equal(full.check(3), false, "still inside, seen");
  assert.equal(full.check(2), false, "slid out: too old");

  const jump = windowOf(Array.from({ length: SIZE }, (_, i) => i));
  jump.accept(10 * SIZE + 5);
  for (let i = 9 * SIZE + 6; i < 10 * SIZE + 5; i++) assert.equal(jump.check(i), true, `${i}`);
});

Deno.test("check alone (a packet that failed authentication) moves nothing", () => {
  const w = windowOf([500]);
  assert.ok(w.check(500 + 10 * SIZE));
  assert.equal(w.highest, 500);
  assert.equal(w.check(499), true, "still inside the window of 500");
});

Deno.test("against a set-based model over random reordering, duplicates and jumps", () => {
  const rand = mulberry32(3711);
  for (let run = 0; run < 20; run++) {
    const w = new ReplayWindow();
    const seen = new Set<number>();
    let top = -1;
    let next = Math.floor(rand() * 2 ** 47);
    for (let i = 0; i < 4000; i++) {
      const r = rand();
      // Mostly in order; some late (within and beyond the window), some duplicated, some jumps.
      const index = r < 0.6
        ? next++
        : r < 0.8
        ? next - 1 - Math.floor(rand() * SIZE * 1.5)
        : r < 0.95
        ? [...seen][Math.floor(rand() * seen.size)] ?? next
        : (next += Math.floor(rand() * SIZE * 2));
      if (index < 0) continue;
      const expected = index > top || (top - index < SIZE && !seen.has(index));
      assert.equal(w.check(index), expected, `run ${run}, packet ${i}, index ${index}, top ${top}`);
      if (!expected) continue;
      w.accept(index);
      seen.add(index);
      top = Math.max(top, index);
      for (const s of seen) if (top - s >= SIZE) seen.delete(s);
    }
  }
});
