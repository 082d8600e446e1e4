import assert from "node:assert/strict";
import { FakeVad, SEMANTIC_MAX_WAIT_MS, speechProbability } from "./openai_realtime_vad.ts";
import { tone } from "./openai_realtime.ts";
import { concatPcm } from "../../lib/audio/pcm.ts";

Deno.test("speechProbability: 0 at -60 dBFS, 1 at -10 dBFS, linear in dB, louder is likelier", () => {
  const atDbfs = (db: number) => speechProbability(32768 * 10 ** (db / 20));
  assert.equal(speechProbability(0), 0);
  assert.equal(atDbfs(-70), 0);
  assert.ok(Math.abs(atDbfs(-35) - 0.5) < 1e-9, "the default threshold sits at -35 dBFS");
  assert.equal(atDbfs(-10), 1);
  assert.equal(atDbfs(0), 1);
  let last = -1;
  for (let rms = 50; rms < 32768; rms *= 1.5) {
    const p = speechProbability(rms);
    assert.ok(p >= last, `monotonic at ${rms}`);
    last = p;
  }
});

Deno.test("FakeVad: semantic eagerness bounds, auto as medium", () => {
  assert.deepEqual(SEMANTIC_MAX_WAIT_MS, { low: 8000, medium: 4000, high: 2000, auto: 4000 });
  const vad = new FakeVad();
  const events = vad.append(
    concatPcm([tone(300, 200), new Int16Array(24 * 2100)]),
    { type: "semantic_vad", eagerness: "high" },
  );
  assert.deepEqual(events, [
    { kind: "speech_started", audioStartMs: 0 },
    { kind: "speech_stopped", audioEndMs: 200 },
  ]);
  assert.equal(vad.nowMs, 2300);
});

Deno.test("FakeVad: the idle timeout is armed by a response, counted after its audio, disarmed by speech", () => {
  const td = { type: "server_vad", idle_timeout_ms: 5000 } as const;
  const vad = new FakeVad();
  assert.deepEqual(vad.append(new Int16Array(24 * 8000), td), [], "no response yet: not armed");
  vad.responseDone(1000);
  assert.deepEqual(vad.append(new Int16Array(24 * 6000), td), [
    { kind: "idle_timeout", audioStartMs: 9000, audioEndMs: 14000 },
  ]);
  vad.responseDone(0);
  const spoke = vad.append(concatPcm([tone(300, 200), new Int16Array(24 * 6000)]), td);
  assert.deepEqual(spoke.map((e) => e.kind), ["speech_started", "speech_stopped"]);
  assert.deepEqual(vad.append(new Int16Array(24 * 2000), { type: "server_vad" }), [], "off");
});
