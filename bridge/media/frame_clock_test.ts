import assert from "node:assert/strict";
import { FrameClock, SharedFrameClock, type Tick } from "./frame_clock.ts";
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

Deno.test("SharedFrameClock ticks every listener, survives a throwing one, and stops when empty", async () => {
  const s = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler: s });
  const a: number[] = [];
  const b: number[] = [];
  const leaveA = clock.join((t) => a.push(t.index));
  const leaveBad = clock.join(() => {
    throw new Error("one call's bug");
  });
  const leaveB = clock.join((t) => b.push(t.index));
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    errors.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  s.advance(60);
  await new Promise((r) => setTimeout(r, 0));
  globalThis.removeEventListener("error", onError);
  assert.deepEqual(a, [1, 2, 3], "joined after the immediate tick 0");
  assert.deepEqual(b, [1, 2, 3]);
  assert.equal(errors.length, 3, "the failure is reported, not swallowed");
  leaveBad();
  leaveA();
  assert.equal(clock.size, 1);
  leaveB();
  assert.equal(clock.size, 0);
  s.advance(100);
  assert.deepEqual(a, [1, 2, 3], "stopped once empty");
});
