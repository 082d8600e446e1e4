import assert from "node:assert/strict";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { armCallLimits, type CallLimit } from "./call_limits.ts";
import { TimerSet } from "../agents/timers.ts";

function limits(maxCallMs: number, callerSilenceTimeoutMs: number) {
  const scheduler = new ManualScheduler();
  const timers = new TimerSet(scheduler);
  const reached: Array<[number, CallLimit]> = [];
  let lastVoiceAt = 0;
  armCallLimits({
    timers,
    now: () => scheduler.now(),
    lastVoiceAt: () => lastVoiceAt,
    maxCallMs,
    callerSilenceTimeoutMs,
    onLimit: (limit) => reached.push([scheduler.now(), limit]),
  });
  const speak = () => lastVoiceAt = scheduler.now();
  return { scheduler, timers, reached, speak };
}

Deno.test("armCallLimits: the silence watch restarts from the caller's last voice", () => {
  const { scheduler, reached, speak } = limits(600_000, 10_000);
  for (let t = 0; t < 100_000; t += 9_000) {
    scheduler.advance(9_000);
    speak();
  }
  assert.deepEqual(reached, [], "voice every 9 s keeps a 10 s timeout away");
  const lastVoice = scheduler.now();
  scheduler.advance(10_000);
  assert.deepEqual(reached, [[lastVoice + 10_000, "caller_silence"]]);
});

Deno.test("armCallLimits: the maximum length ends even a talkative call, once; 0 disables the silence watch", () => {
  const { scheduler, reached, speak, timers } = limits(30_000, 0);
  for (let t = 0; t < 60_000; t += 1_000) {
    scheduler.advance(1_000);
    speak();
  }
  assert.deepEqual(reached, [[30_000, "max_duration"]]);
  assert.equal(timers.size, 0);
});

Deno.test("armCallLimits: one goodbye per call, whichever limit comes first", () => {
  for (
    const [maxCallMs, silenceMs, first] of [
      [20_000, 20_000, "max_duration"],
      [30_000, 10_000, "caller_silence"],
    ] as const
  ) {
    const { scheduler, reached } = limits(maxCallMs, silenceMs);
    scheduler.advance(60_000);
    assert.deepEqual(reached.map(([, limit]) => limit), [first]);
  }
});
