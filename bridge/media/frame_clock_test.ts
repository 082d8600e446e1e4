import assert from "node:assert/strict";
import { FrameClock, type Tick } from "./frame_clock.ts";
import { ManualScheduler } from "./fake_scheduler.ts";

Deno.test("FrameClock ticks immediately, then every period, without drift", () => {
  const s = new ManualScheduler();
  const ticks: Tick[] = [];
  const clock = new FrameClock((t) => ticks.push(t), { scheduler: s });
  clock.start();
  assert.equal(ticks.length, 1);
  s.advance(1000);
  assert.equal(ticks.length, 51);
  assert.deepEqual(ticks.map((t) => t.dueAt).slice(0, 4), [0, 20, 40, 60]);
  assert.ok(ticks.every((t) => t.lateMs === 0 && t.skipped === 0));
  clock.stop();
  s.advance(1000);
  assert.equal(ticks.length, 51);
});

Deno.test("FrameClock catches up a short stall back-to-back and skips a long one", () => {
  const s = new ManualScheduler();
  const ticks: Tick[] = [];
  const clock = new FrameClock((t) => ticks.push(t), { scheduler: s, maxCatchUp: 3 });
  clock.start();
  s.stall(50); // ticks 1 and 2 are due; both run late on the next timer
  s.advance(0);
  assert.deepEqual(ticks.map((t) => t.index), [0, 1, 2]);
  assert.equal(ticks[1]!.lateMs, 30);
  s.stall(200); // ticks 3..12 due: the current one and 3 catch up run, 6 are skipped
  s.advance(0);
  const after = ticks.slice(3);
  assert.equal(after[0]!.skipped, 6);
  assert.equal(after.length, 4);
  assert.equal(after.at(-1)!.index, 12);
  clock.stop();
});
