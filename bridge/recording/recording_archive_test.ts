import assert from "node:assert/strict";
import { RecordingArchive } from "./recording_archive.ts";
import { linkKey } from "./recording_link.ts";
import { LocalRecordingStore, recordingFileName } from "./recording_store.ts";
import { RecordingUploader } from "./upload_queue.ts";
import { s3rverTest } from "./s3rver_test_utils.ts";

const CALL = "wacid.HBg/archive==";

s3rverTest(
  "archive: a recording in S3 is served from the bucket and linked by a presigned URL",
  async ({ server, dir, bucket, rows }) => {
    const store = await rows();
    const remote = bucket({ prefix: "recordings/" });
    const local = new LocalRecordingStore(dir);
    const uploader = new RecordingUploader({ rows: store, local, remote });
    const audio = new Uint8Array(5_000).map((_, i) => i % 199);
    const archive = new RecordingArchive({
      rows: store,
      local,
      remote,
      uploader,
      finishRecording: async (callId) => {
        await Deno.writeFile(local.pathOf(recordingFileName(callId)), audio);
        return { durationMs: 900 };
      },
      callEnded: () => Promise.resolve(true),
      linkKey: await linkKey("bridge-secret-bridge-secret"),
      publicUrl: "http://bridge.test",
    });
    assert.equal(await archive.finish(CALL), true);
    await uploader.stop(); // the first upload attempt has ended
    const row = (await store.getRecording(CALL))!;
    assert.equal(row.location, "s3");
    assert.equal(await local.get(row.key), null, "moved to the bucket");

    const part = await archive.open(CALL, { start: 10, end: 19 });
    assert.deepEqual(
      new Uint8Array(await new Response(part!.body).arrayBuffer()),
      audio.subarray(10, 20),
    );
    const link = (await archive.link(CALL, 300))!;
    assert.ok(link.startsWith(`${server.endpoint}/${server.bucket}/recordings/`), link);
    const fetched = await fetch(link);
    assert.equal(fetched.status, 200);
    assert.deepEqual(new Uint8Array(await fetched.arrayBuffer()), audio);

    // Deleted by retention: neither served nor linked.
    await store.markRecordingDeleted(CALL, new Date());
    assert.equal(await archive.open(CALL), null);
    assert.equal(await archive.link(CALL, 300), null);
  },
);
