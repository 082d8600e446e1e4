import assert from "node:assert/strict";
import { percentile, TurnLatencyTracker } from "./turn_latency.ts";

/** Delivers `n` caller frames 20 ms apart from `from` (media clock ms); returns the next time. */
function deliver(t: TurnLatencyTracker, from: number, n: number): number {
  for (let i = 0; i < n; i++) t.callerFrame(from + i * 20);
  return from + n * 20;
}

Deno.test("turn latency: from the frame holding the end of speech to the answer on the wire", () => {
  const turns: number[] = [];
  const t = new TurnLatencyTracker({ onTurn: (ms) => turns.push(ms) });
  t.accepted(1000);
  t.frameSent("greeting", 1300);
  // 100 frames delivered at 1000, 1020, … 2980.
  deliver(t, 1000, 100);
  // The caller's last word ends 1210 ms into the audio: frame 60 (ms 1200–1220), delivered at 2200.
  t.speechEnded(1210);
  t.frameSent(undefined, 2900); // silence is no answer
  t.frameSent("greeting", 2920); // nor is audio of a tag already playing
  t.frameSent("item_2", 3000);
  t.frameSent("item_2", 3020);
  assert.deepEqual(turns, [800]);
  assert.deepEqual(t.summary(), {
    turnsMs: [800],
    p50Ms: 800,
    p95Ms: 800,
    acceptToFirstAudioMs: 300,
  });
});

Deno.test("turn latency: an end of speech followed by more speech (barge-in, a cancelled answer) is no turn", () => {
  const t = new TurnLatencyTracker();
  const next = deliver(t, 0, 200);
  t.speechEnded(1000);
  t.speechStarted(); // the caller went on: the answer in flight is cancelled
  t.frameSent("cancelled_item", next); // a late frame of it
  assert.deepEqual(t.summary().turnsMs, []);
  t.speechEnded(3000);
  t.frameSent("item_3", next + 500);
  assert.deepEqual(t.summary().turnsMs, [next + 500 - 2980]);
});

Deno.test("turn latency: an answer that never comes, or an end too old to map, is no turn", () => {
  const t = new TurnLatencyTracker({ maxFrames: 50, maxTurnMs: 5000 });
  deliver(t, 0, 100);
  t.speechEnded(500); // frame 24: forgotten (only the last 50 are kept)
  t.frameSent("a", 2100);
  t.speechEnded(1990);
  t.frameSent("b", 1980 + 5001);
  assert.deepEqual(t.summary().turnsMs, []);
  assert.equal(t.summary().p50Ms, null);
});

Deno.test("turn latency: an end reported ahead of delivery maps to the last frame delivered", () => {
  const t = new TurnLatencyTracker();
  deliver(t, 0, 10);
  t.speechEnded(900);
  t.frameSent("a", 400);
  assert.deepEqual(t.summary().turnsMs, [220]);
});

Deno.test("percentile: nearest rank", () => {
  const v = [500, 100, 400, 200, 300, 600, 700, 800, 900, 1000];
  assert.equal(percentile(v, 50), 500);
  assert.equal(percentile(v, 95), 1000);
  assert.equal(percentile([7], 95), 7);
  assert.equal(percentile([], 50), null);
});
