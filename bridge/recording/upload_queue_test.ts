import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { LocalRecordingStore, recordingFileName } from "./recording_store.ts";
import { RecordingUploader, UPLOAD_BACKOFF_MS, uploadBackoffMs } from "./upload_queue.ts";
import { s3rverTest } from "./s3rver_test_utils.ts";

const CALL = "wacid.HBg/up+load==";

/** A clock the test moves by hand. */
function clock(start = new Date("2026-12-07T06:00:00Z")) {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

Deno.test("upload backoff: the first retry within seconds, then longer, never giving up", () => {
  assert.equal(uploadBackoffMs(1), 5_000);
  assert.ok(UPLOAD_BACKOFF_MS.every((ms, i) => i === 0 || ms > UPLOAD_BACKOFF_MS[i - 1]!));
  assert.equal(uploadBackoffMs(1000), UPLOAD_BACKOFF_MS.at(-1));
});

s3rverTest(
  "upload queue: S3 down, bridge restarted, S3 up: the recording arrives, none lost",
  async ({ server, dir: work, bucket }) => {
    const dir = `${work}/recordings`;
    const pglite = `${work}/pglite`;
    const t = clock();
    const s3 = bucket({ timeoutMs: 2_000 });
    const local = new LocalRecordingStore(dir);
    const key = recordingFileName(CALL);
    const audio = new Uint8Array(40_000).map((_, i) => i % 256);
    await server.stop(); // the bucket is unreachable from the start
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeFile(local.pathOf(key), audio);

    let store = await openStore({ pgliteDir: pglite });
    let uploader = new RecordingUploader({ rows: store, local, remote: s3, now: t.now });
    const { row, upload } = await uploader.register(CALL, key, 2_500);
    assert.equal(row.location, "local");
    assert.equal(await upload, false, "S3 down: the upload fails");
    let saved = (await store.getRecording(CALL))!;
    assert.deepEqual([saved.location, saved.attempts, saved.durationMs], ["local", 1, 2500]);
    assert.match(saved.lastError!, /error sending request|Connection refused|connect/i);
    assert.deepEqual(saved.nextAttemptAt, new Date(t.now().getTime() + UPLOAD_BACKOFF_MS[0]!));
    assert.deepEqual(await Deno.readFile(local.pathOf(key)), audio, "the file stays on disk");

    // Not due yet: a pass tries nothing.
    assert.equal(await uploader.retryDue(), 0);
    assert.equal((await store.getRecording(CALL))!.attempts, 1);
    // Due, still down: a second failure, a longer wait.
    t.advance(UPLOAD_BACKOFF_MS[0]!);
    assert.equal(await uploader.retryDue(), 0);
    saved = (await store.getRecording(CALL))!;
    assert.equal(saved.attempts, 2);
    assert.deepEqual(saved.nextAttemptAt, new Date(t.now().getTime() + UPLOAD_BACKOFF_MS[1]!));

    // The bridge restarts while the upload is pending.
    await uploader.stop();
    await store.close();
    await server.start();
    t.advance(UPLOAD_BACKOFF_MS[1]!);
    store = await openStore({ pgliteDir: pglite });
    uploader = new RecordingUploader({ rows: store, local, remote: s3, now: t.now });
    uploader.start(60_000); // at start it retries what is due
    await uploader.stop();

    saved = (await store.getRecording(CALL))!;
    assert.deepEqual([saved.location, saved.key, saved.nextAttemptAt, saved.lastError], [
      "s3",
      key,
      null,
      null,
    ]);
    assert.deepEqual(saved.uploadedAt, t.now());
    const object = await s3.get(key);
    assert.deepEqual(new Uint8Array(await new Response(object!.body).arrayBuffer()), audio);
    assert.equal(await local.get(key), null, "the local copy is removed after the upload");
    await store.close();
  },
);

s3rverTest(
  "upload queue: RECORDINGS_KEEP_LOCAL keeps the local copy; without S3 nothing is pending",
  async ({ dir, bucket, rows }) => {
    const store = await rows();
    const s3 = bucket();
    const local = new LocalRecordingStore(dir);
    await Deno.writeFile(local.pathOf("a.ogg"), new Uint8Array(10));
    const keep = new RecordingUploader({ rows: store, local, remote: s3, keepLocal: true });
    assert.equal(await (await keep.register("a", "a.ogg")).upload, true);
    assert.equal((await store.getRecording("a"))!.location, "s3");
    assert.ok(await local.get("a.ogg"), "kept");

    await Deno.writeFile(local.pathOf("b.ogg"), new Uint8Array(10));
    const localOnly = new RecordingUploader({ rows: store, local });
    assert.equal(await (await localOnly.register("b", "b.ogg")).upload, false);
    const b = (await store.getRecording("b"))!;
    assert.deepEqual([b.location, b.nextAttemptAt, b.bytes], ["local", null, 10]);
  },
);
