import assert from "node:assert/strict";
import { TimerSet } from "./timers.ts";
import { FakeTimers } from "./_test_utils.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";

Deno.test("TimerSet forgets timers that fired and clears the rest", async () => {
  const timers = new FakeTimers();
  const set = new TimerSet(timers);
  const fired: string[] = [];
  set.after(10, () => fired.push("a"));
  const b = set.after(20, () => fired.push("b"));
  set.after(30, () => fired.push("c"));
  await timers.advance(10);
  assert.deepEqual(fired, ["a"]);
  assert.equal(set.size, 2);
  set.cancel(b);
  set.cancel(b); // twice is harmless
  assert.equal(set.size, 1);
  set.clear();
  assert.equal(set.size, 0);
  assert.equal(timers.pending, 0);
  await timers.advance(100);
  assert.deepEqual(fired, ["a"]);
});

Deno.test("TimerSet runs on a media scheduler too: a call's timers never outlive it", () => {
  const scheduler = new ManualScheduler();
  const timers = new TimerSet(scheduler);
  const fired: number[] = [];
  timers.after(10, () => fired.push(10));
  timers.after(20, () => fired.push(20));
  timers.after(30, () => fired.push(30));
  scheduler.advance(15);
  assert.deepEqual(fired, [10]);
  assert.equal(timers.size, 2);
  timers.clear();
  assert.equal(scheduler.pending, 0);
  scheduler.advance(100);
  assert.deepEqual(fired, [10], "cleared timers never fire");
});
