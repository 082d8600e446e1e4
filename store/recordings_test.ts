import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import { testOnBothBackends } from "./backends_test_utils.ts";

const T0 = new Date("2026-12-01T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

async function pendingUploadLands(store: Store) {
  {
    const saved = await store.saveRecording({
      callId: "wacid.a",
      location: "local",
      key: "wacid.a.ogg",
      bytes: 1234,
      durationMs: 5000,
      uploadAt: T0,
    });
    assert.deepEqual([saved.location, saved.attempts, saved.nextAttemptAt], ["local", 0, T0]);
    // A row with nothing to upload is never due.
    await store.saveRecording({ callId: "wacid.b", location: "local", key: "b.ogg", bytes: 1 });
    assert.deepEqual((await store.listDueUploads(at(-1), 10)).map((r) => r.callId), []);
    assert.deepEqual((await store.listDueUploads(T0, 10)).map((r) => r.callId), ["wacid.a"]);

    await store.markRecordingUploadFailed("wacid.a", "S3 PUT failed: 503", at(5));
    let row = await store.getRecording("wacid.a");
    assert.deepEqual([row!.attempts, row!.lastError, row!.nextAttemptAt], [
      1,
      "S3 PUT failed: 503",
      at(5),
    ]);
    assert.equal((await store.listDueUploads(at(4), 10)).length, 0, "not due before its backoff");
    assert.equal((await store.listDueUploads(at(5), 10)).length, 1);

    await store.markRecordingUploaded("wacid.a", "wacid.a.ogg", at(6));
    row = await store.getRecording("wacid.a");
    assert.deepEqual([row!.location, row!.uploadedAt, row!.nextAttemptAt, row!.lastError], [
      "s3",
      at(6),
      null,
      null,
    ]);
    assert.equal((await store.listDueUploads(at(99), 10)).length, 0, "uploaded: nothing pending");
    // A late failure report for an upload that already landed changes nothing.
    await store.markRecordingUploadFailed("wacid.a", "late", at(100));
    assert.equal((await store.getRecording("wacid.a"))!.nextAttemptAt, null);
  }
}

async function retentionMarksDeleted(store: Store) {
  {
    await store.saveRecording({
      callId: "old",
      location: "s3",
      key: "old.ogg",
      bytes: 1,
      createdAt: at(-100),
    });
    await store.saveRecording({
      callId: "new",
      location: "local",
      key: "new.ogg",
      bytes: 1,
      createdAt: at(0),
      uploadAt: at(0),
    });
    assert.deepEqual((await store.listRecordingsCreatedBefore(at(-1), 10)).map((r) => r.callId), [
      "old",
    ]);
    await store.markRecordingDeleted("old", at(1));
    await store.markRecordingDeleted("new", at(1));
    assert.equal((await store.listRecordingsCreatedBefore(at(99), 10)).length, 0);
    assert.deepEqual((await store.getRecording("old"))!.deletedAt, at(1));
    assert.equal((await store.listDueUploads(at(99), 10)).length, 0, "deleted: no upload");
    assert.equal(await store.getRecording("none"), null);
  }
}

const CASES = { pendingUploadLands, retentionMarksDeleted };

for (const [name, run] of Object.entries(CASES)) testOnBothBackends("recording rows", name, run);
