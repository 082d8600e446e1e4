import assert from "node:assert/strict";
import { TimerSet } from "./timers.ts";
import { FakeTimers } from "./_test_utils.ts";

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
