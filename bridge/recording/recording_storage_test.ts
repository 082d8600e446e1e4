import assert from "node:assert/strict";
import { callEndedIn, startRecordingStorage } from "./recording_storage.ts";
import { recordingFileName } from "./recording_store.ts";
import { storageConfigFromEnv } from "./storage_config.ts";
import { S3RVER_KEY } from "./_s3rver.ts";
import { s3rverTest } from "./s3rver_test_utils.ts";

const SECRET = "bridge-secret-bridge-secret";

s3rverTest(
  "recording storage at start: uploads left pending go on; route and link served",
  async ({ server, dir, rows }) => {
    const store = await rows();
    // What an earlier process left: a rendered file and its pending upload.
    const key = recordingFileName("wacid.left");
    await Deno.writeFile(`${dir}/${key}`, new Uint8Array(321));
    await store.saveRecording({
      callId: "wacid.left",
      location: "local",
      key,
      bytes: 321,
      uploadAt: new Date(Date.now() - 1000),
    });
    const config = storageConfigFromEnv({
      RECORDINGS_DIR: dir,
      RECORDINGS_S3_ENDPOINT: server.endpoint,
      RECORDINGS_S3_BUCKET: server.bucket,
      RECORDINGS_S3_ACCESS_KEY_ID: S3RVER_KEY,
      RECORDINGS_S3_SECRET_ACCESS_KEY: S3RVER_KEY,
      RECORDINGS_PUBLIC_URL: "http://bridge.test",
    });
    const storage = await startRecordingStorage({
      config,
      rows: store,
      bridgeSecret: SECRET,
      callEnded: callEndedIn(store),
    });
    await storage.stop(); // waits for the pass started at start
    assert.equal((await store.getRecording("wacid.left"))!.location, "s3");
    const res = await storage.routes.request(`/calls/wacid.left/recording`, {
      headers: { authorization: `Bearer ${SECRET}` },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, 321);
    const link = await storage.recordingLink("wacid.left");
    assert.ok(link?.startsWith(server.endpoint), "in S3: a presigned link");
    assert.match(link!, /X-Amz-Expires=604800/);
    assert.equal(await storage.recordingLink("wacid.none"), null);

    // callEndedIn: only a terminal status counts.
    await store.upsertCall({ callId: "wacid.c", status: "active" });
    const ended = callEndedIn(store);
    assert.equal(await ended("wacid.c"), false);
    await store.transitionCall("wacid.c", "completed");
    assert.equal(await ended("wacid.c"), true);
    assert.equal(await ended("wacid.missing"), false);
  },
);
