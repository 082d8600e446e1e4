import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../../store/open.ts";
import { loadConfig } from "../config.ts";
import { leftoverRawRecordings, rawRecordingPath } from "../recording/recordings.ts";
import { startCallRecords } from "./call_records.ts";

const ENDED = "wacid.ended-before-restart";
const LIVE = "wacid.still-live";

Deno.test("start-up renders and stores the raw recordings a dead bridge left, for ended calls only", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    // A bridge killed mid-call (SIGKILL before it closed the raw file).
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(import.meta.dirname!, "../recording/crash_child_test_utils.ts"),
        dir,
        ENDED,
      ],
      env: { OPUS_FORCE_WASM: "1" },
      stdout: "null",
      stderr: "inherit",
    }).output();
    assert.equal(child.code, 9);
    await Deno.copyFile(rawRecordingPath(dir, ENDED), rawRecordingPath(dir, LIVE));
    for (const callId of [ENDED, LIVE]) {
      await store.upsertCall({ callId, phoneNumberId: "1", status: "accepted" });
    }
    await store.transitionCall(ENDED, "completed", { endedAt: new Date() });

    const vars = { VOICE_BRIDGE_SECRET: "call-records-test-secret", RECORDING: "on" };
    const config = loadConfig({ ...vars, RECORDINGS_DIR: dir }, () => undefined);
    const records = await startCallRecords(config, store, { ...vars, RECORDINGS_DIR: dir });
    try {
      assert.deepEqual(await records.recovered, [ENDED]);
      const row = await store.getRecording(ENDED);
      assert.ok(row, "the recovered recording is recorded (and queued for upload)");
      assert.ok(row.durationMs !== null && row.durationMs >= 8000, JSON.stringify(row));
      assert.equal(await store.getRecording(LIVE), null);
      assert.deepEqual(await leftoverRawRecordings(dir), [LIVE], "a live call's raw file waits");
    } finally {
      await records.stop();
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
