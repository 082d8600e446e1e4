import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { LocalRecordingStore, recordingFileName } from "./recording_store.ts";
import { sweepRecordings } from "./retention_sweep.ts";
import { s3rverTest } from "./s3rver_test_utils.ts";

const DAY = 86_400_000;

Deno.test("retention: local recordings older than RECORDING_RETENTION_DAYS go, newer stay", async () => {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const now = new Date("2026-12-07T06:00:00Z");
    const local = new LocalRecordingStore(dir);
    const put = async (callId: string, ageDays: number) => {
      const key = recordingFileName(callId);
      const at = new Date(now.getTime() - ageDays * DAY);
      await Deno.writeFile(local.pathOf(key), new Uint8Array(4));
      await Deno.utime(local.pathOf(key), at, at);
      await store.saveRecording({ callId, location: "local", key, bytes: 4, createdAt: at });
      return key;
    };
    const old = await put("wacid.old", 31);
    const fresh = await put("wacid.fresh", 29);
    // A file nobody recorded (a crash between render and row) ages out too.
    const orphan = recordingFileName("wacid.orphan");
    await Deno.writeFile(local.pathOf(orphan), new Uint8Array(1));
    await Deno.utime(local.pathOf(orphan), new Date(0), new Date(0));
    // Not a recording: rec-capture's raw folder and other files are left alone.
    await Deno.mkdir(`${dir}/raw`);
    await Deno.writeFile(`${dir}/notes.txt`, new Uint8Array(1));
    await Deno.utime(`${dir}/notes.txt`, new Date(0), new Date(0));

    const result = await sweepRecordings({
      rows: store,
      stores: [local],
      retentionDays: 30,
      now: () => now,
    });
    assert.deepEqual(result.deleted, { local: 2, s3: 0 });
    assert.equal(await local.get(old), null);
    assert.equal(await local.get(orphan), null);
    assert.ok(await local.get(fresh), "29 days old: kept");
    assert.ok((await Deno.stat(`${dir}/notes.txt`)).isFile);
    assert.deepEqual((await store.getRecording("wacid.old"))!.deletedAt, now);
    assert.equal((await store.getRecording("wacid.fresh"))!.deletedAt, null);

    // Two days on, the fresh one is past retention too.
    const later = new Date(now.getTime() + 2 * DAY);
    await sweepRecordings({ rows: store, stores: [local], retentionDays: 30, now: () => later });
    assert.equal(await local.get(fresh), null);
    assert.deepEqual((await store.getRecording("wacid.fresh"))!.deletedAt, later);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

s3rverTest(
  "retention: recordings in S3 older than the retention are deleted from the bucket",
  async ({ dir, bucket, rows }) => {
    const store = await rows();
    const s3 = bucket({ prefix: "rec/" });
    const local = new LocalRecordingStore(dir);
    const key = recordingFileName("wacid.s3");
    await Deno.writeFile(`${dir}/src`, new Uint8Array(8));
    await s3.put(key, `${dir}/src`);
    await store.saveRecording({ callId: "wacid.s3", location: "s3", key, bytes: 8 });
    const stores = [local, s3];
    // The object was written now: 29 days on it stays, 31 days on it goes.
    const in29 = new Date(Date.now() + 29 * DAY);
    let r = await sweepRecordings({ rows: store, stores, retentionDays: 30, now: () => in29 });
    assert.deepEqual(r.deleted, { local: 0, s3: 0 });
    assert.ok(await s3.get(key));
    const in31 = new Date(Date.now() + 31 * DAY);
    r = await sweepRecordings({ rows: store, stores, retentionDays: 30, now: () => in31 });
    assert.deepEqual(r.deleted, { local: 0, s3: 1 });
    assert.equal(await s3.get(key), null);
    assert.deepEqual((await store.getRecording("wacid.s3"))!.deletedAt, in31);
  },
);
