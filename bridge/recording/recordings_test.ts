import assert from "node:assert/strict";
import { join } from "node:path";
import {
  finishRecording,
  leftoverRawRecordings,
  rawRecordingPath,
  recordingConfigFromEnv,
  startRecording,
  stereoRecordingPath,
} from "./recordings.ts";
import { decodeStereoOgg, framePowers, runScenario, SCENARIO } from "./scenario_test_utils.ts";

Deno.test("config: RECORDING defaults to off, RECORDINGS_DIR to .data/recordings; bad values are refused", () => {
  assert.deepEqual(recordingConfigFromEnv({}), {
    enabled: false,
    dir: ".data/recordings",
    announcement: undefined,
  });
  const on = recordingConfigFromEnv({ RECORDING: "on", RECORDINGS_DIR: "/tmp/r" });
  assert.equal(on.enabled, true);
  assert.equal(on.dir, "/tmp/r");
  assert.throws(() => recordingConfigFromEnv({ RECORDING: "maybe" }), /RECORDING/);
});

Deno.test("recording off: no tap, nothing written, nothing to finish", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tap = startRecording({ enabled: false, dir, announcement: undefined }, "wacid.off");
    assert.equal(tap, undefined);
    await runScenario(); // a call runs without a tap
    assert.equal(await finishRecording("wacid.off", dir), null);
    assert.deepEqual([...Deno.readDirSync(dir)], [], "the folder stays empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("finishRecording renders <dir>/<name>.ogg from the live call's raw file and removes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const callId = "wacid.HBg/a+b=="; // Meta's ids carry / + =: they must stay inside the folder
    const tap = startRecording({ enabled: true, dir, announcement: undefined }, callId)!;
    await runScenario(tap);
    const [done, again] = await Promise.all([finishRecording(callId), finishRecording(callId)]);
    assert.deepEqual(done, again, "a second caller waits for the same render");
    assert.ok(done);
    assert.equal(done.path, stereoRecordingPath(dir, callId));
    assert.equal(done.path.startsWith(dir + "/"), true);
    assert.equal(done.durationMs, SCENARIO.frames * 20);
    assert.equal((await Deno.stat(done.path)).size, done.bytes);
    await assert.rejects(Deno.stat(rawRecordingPath(dir, callId)), Deno.errors.NotFound);
    const { left, right } = decodeStereoOgg(await Deno.readFile(done.path));
    assert.ok(framePowers(left, SCENARIO.callerHz)[30]!.tone > 1e6);
    assert.ok(framePowers(right, SCENARIO.agentHz)[50]!.tone > 1e6);
    // 0.5 MB per call minute at most.
    const mbPerMinute = done.bytes / 1e6 / (done.durationMs / 60000);
    assert.ok(mbPerMinute <= 0.5, `${mbPerMinute} MB/min`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bridge that dies mid-call leaves a raw file that still renders, torn last record and all", async () => {
  const dir = await Deno.makeTempDir();
  const callId = "wacid.crashed";
  try {
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(import.meta.dirname!, "crash_child_test_utils.ts"), dir, callId],
      env: { OPUS_FORCE_WASM: "1" },
      stdout: "null",
      stderr: "inherit",
    }).output();
    assert.equal(child.code, 9, "the child died without closing");
    const raw = rawRecordingPath(dir, callId);
    // A write cut in the middle of a record.
    await Deno.writeFile(raw, Uint8Array.of(1, 0, 0, 9), { append: true });
    assert.deepEqual(await leftoverRawRecordings(dir), [callId]);
    const done = await finishRecording(callId, dir);
    assert.ok(done);
    // At least the 400 frames flushed before the pause; not the 500 never written.
    assert.ok(done.durationMs >= 400 * 20 && done.durationMs < 500 * 20, `${done.durationMs} ms`);
    const { left, right } = decodeStereoOgg(await Deno.readFile(done.path));
    assert.ok(framePowers(left, 440)[200]!.tone > 1e6);
    assert.ok(framePowers(right, 1000)[200]!.tone > 1e6);
    assert.deepEqual(await leftoverRawRecordings(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
