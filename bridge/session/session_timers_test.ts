import assert from "node:assert/strict";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { SessionTimers } from "./session_timers.ts";

Deno.test("SessionTimers forgets fired timers and clear() cancels the rest", () => {
  const scheduler = new ManualScheduler();
  const timers = new SessionTimers(scheduler);
  const fired: number[] = [];
  timers.after(10, () => fired.push(10));
  timers.after(20, () => fired.push(20));
  timers.after(30, () => fired.push(30));
  scheduler.advance(15);
  assert.deepEqual(fired, [10]);
  assert.equal(timers.size, 2);
  timers.clear();
  assert.equal(timers.size, 0);
  scheduler.advance(100);
  assert.deepEqual(fired, [10], "cleared timers never fire");
});
