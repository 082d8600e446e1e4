import assert from "node:assert/strict";
import { captureLogs } from "../../tests/support/log_capture.ts";
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

Deno.test("FrameClock aligned to a grid ticks on it from the next point on", () => {
  const s = new ManualScheduler();
  s.advance(33);
  const ticks: Tick[] = [];
  const clock = new FrameClock((t) => ticks.push(t), { scheduler: s });
  clock.start(5);
  assert.equal(ticks.length, 0, "nothing runs synchronously");
  s.advance(47);
  assert.deepEqual(ticks.map((t) => t.dueAt), [45, 65]);
  assert.ok(ticks.every((t) => t.lateMs === 0));
  clock.stop();
});

Deno.test("SharedFrameClock ticks every listener, drops and logs a throwing one, and stops when empty", async () => {
  const s = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler: s, phases: 1 });
  const logs = await captureLogs();
  const a: number[] = [];
  const b: number[] = [];
  const leaveA = clock.join((t) => a.push(t.dueAt));
  let badTicks = 0;
  const leaveBad = clock.join(() => {
    badTicks++;
    throw new Error("one call's bug");
  });
  const leaveB = clock.join((t) => b.push(t.dueAt));
  try {
    s.advance(60);
    // An uncaught rethrow would end the process, and with it every call.
    await new Promise((r) => setTimeout(r, 0));
  } finally {
    await logs.stop();
  }
  assert.deepEqual(a, [20, 40, 60], "a joiner has just sent its own first frame: no tick now");
  assert.deepEqual(b, [20, 40, 60]);
  assert.equal(badTicks, 1, "a faulty listener leaves the clock instead of failing every tick");
  assert.equal(logs.find("MEDIA_CLOCK_LISTENER_FAILED").length, 1, "the failure is logged");
  assert.equal(clock.size, 2);
  leaveBad();
  leaveA();
  assert.equal(clock.size, 1);
  leaveB();
  assert.equal(clock.size, 0);
  s.advance(100);
  assert.deepEqual(a, [20, 40, 60], "stopped once empty");
});

Deno.test("SharedFrameClock staggers its groups across the period and fills the emptiest", () => {
  const s = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler: s, phases: 4 });
  const due: number[][] = [];
  const leave = Array.from({ length: 6 }, (_, i) => {
    due.push([]);
    return clock.join((t) => due[i]!.push(t.dueAt));
  });
  assert.deepEqual(clock.groupSizes, [2, 2, 1, 1]);
  s.advance(40);
  assert.deepEqual(due, [[20, 40], [25], [10, 30], [15, 35], [20, 40], [25]], "none before 10 ms");
  leave[2]!();
  assert.deepEqual(clock.groupSizes, [2, 2, 0, 1]);
  s.advance(40);
  assert.equal(due[2]!.length, 2, "a group stops once empty");
  clock.join((t) => due[2]!.push(t.dueAt));
  assert.deepEqual(clock.groupSizes, [2, 2, 1, 1], "and restarts on its own phase");
  s.advance(20);
  assert.deepEqual(due[2], [10, 30, 90]);
});

Deno.test("SharedFrameClock tells a joiner only the skipped ticks that were its own", () => {
  const s = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler: s, phases: 1, maxCatchUp: 3 });
  const old: Tick[] = [];
  const joiner: Tick[] = [];
  clock.join((t) => old.push(t));
  s.advance(13);
  clock.join((t) => joiner.push(t)); // its ticks: 40, 60, … (20 is under half a period away)
  s.stall(187); // at 200, ticks 20…200 are due: 20…120 are skipped, 140…200 catch up
  s.advance(0);
  assert.deepEqual(joiner.map((t) => t.dueAt), [140, 160, 180, 200]);
  assert.equal(old.at(-4)!.skipped, 6, "the old member lost the ticks 20…120");
  assert.equal(joiner[0]!.skipped, 5, "the joiner's own were 40…120: 20 was never its tick");
  assert.ok(joiner.slice(1).every((t) => t.skipped === 0));
});

Deno.test("SharedFrameClock stops a group whose last listener failed: no timer ticks for nobody", async () => {
  const s = new ManualScheduler();
  const clock = new SharedFrameClock({ scheduler: s, phases: 1 });
  const logs = await captureLogs();
  try {
    clock.join(() => {
      throw new Error("the only call's bug");
    });
    s.advance(40);
  } finally {
    await logs.stop();
  }
  assert.equal(clock.size, 0);
  assert.equal(s.pending, 0);
});
