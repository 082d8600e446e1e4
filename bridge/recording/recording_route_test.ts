import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { createApp } from "../http/app.ts";
import { stalledManager } from "../../tests/support/stalled_manager.ts";
import { RecordingArchive, recordingLink } from "./recording_archive.ts";
import { linkKey, signRecordingLink } from "./recording_link.ts";
import { parseRangeHeader, recordingRoutes } from "./recording_route.ts";
import { LocalRecordingStore, recordingFileName } from "./recording_store.ts";
import { RecordingUploader } from "./upload_queue.ts";

const SECRET = "bridge-secret-bridge-secret";
const CALL = "wacid.HBg/route+test==";
const BASE = "https://bridge.example.test";
const AUDIO = new Uint8Array(3_000).map((_, i) => (i * 13) % 256);

interface Harness {
  request(path: string, init?: RequestInit): Promise<Response>;
  store: Store;
  local: LocalRecordingStore;
  renders: string[];
  ended: Set<string>;
  archive: RecordingArchive;
  t: { now: Date };
}

/** The bridge app with the recording route over a real archive; `finishRecording` writes AUDIO. */
async function withRoute(fn: (h: Harness) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const store = await openStore({ pgliteDir: "memory://" });
  const local = new LocalRecordingStore(dir);
  const renders: string[] = [];
  const ended = new Set<string>();
  const t = { now: new Date("2026-12-07T06:00:00Z") };
  const key = await linkKey(SECRET);
  const archive = new RecordingArchive({
    rows: store,
    local,
    uploader: new RecordingUploader({ rows: store, local }),
    finishRecording: async (callId) => {
      renders.push(callId);
      await Deno.writeFile(local.pathOf(recordingFileName(callId)), AUDIO);
      return { durationMs: 1_500 };
    },
    callEnded: (callId) => Promise.resolve(ended.has(callId)),
    linkKey: key,
    publicUrl: BASE,
    now: () => t.now,
  });
  const app = createApp({
    manager: stalledManager(1).manager,
    secret: SECRET,
    cpuPercent: () => 0,
    recordingRoutes: recordingRoutes({ archive, secret: SECRET, linkKey: key, now: () => t.now }),
  });
  try {
    await fn({
      request: async (path, init) => await app.request(path, init),
      store,
      local,
      renders,
      ended,
      archive,
      t,
    });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const PATH = `/calls/${encodeURIComponent(CALL)}/recording`;
const BEARER = { authorization: `Bearer ${SECRET}` };

Deno.test("recording route: needs the bearer secret; renders an ended call once, then serves the file", async () => {
  await withRoute(async (h) => {
    assert.equal((await h.request(PATH)).status, 401);
    assert.equal(
      (await h.request(PATH, { headers: { authorization: "Bearer nope" } })).status,
      401,
    );
    // The call is still live: nothing is rendered (that would cut its recording short).
    const live = await h.request(PATH, { headers: BEARER });
    assert.equal(live.status, 404);
    assert.deepEqual(h.renders, []);

    h.ended.add(CALL);
    const [first, second] = await Promise.all([
      h.request(PATH, { headers: BEARER }),
      h.request(PATH, { headers: BEARER }),
    ]);
    for (const res of [first, second]) {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "audio/ogg");
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.equal(res.headers.get("content-length"), String(AUDIO.length));
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), AUDIO);
    }
    const third = await h.request(PATH, { headers: BEARER });
    assert.equal(third.status, 200);
    await third.body?.cancel();
    assert.deepEqual(h.renders, [CALL], "rendered on first request only, then cached");
    const row = (await h.store.getRecording(CALL))!;
    assert.deepEqual([row.location, row.bytes, row.durationMs], ["local", AUDIO.length, 1500]);
  });
});

Deno.test("recording route: byte ranges for seeking (206, suffix, 416)", async () => {
  await withRoute(async (h) => {
    h.ended.add(CALL);
    const part = await h.request(PATH, { headers: { ...BEARER, range: "bytes=100-199" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 100-199/${AUDIO.length}`);
    assert.equal(part.headers.get("content-length"), "100");
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), AUDIO.subarray(100, 200));
    const open = await h.request(PATH, { headers: { ...BEARER, range: "bytes=2990-" } });
    assert.equal(open.status, 206);
    assert.deepEqual(new Uint8Array(await open.arrayBuffer()), AUDIO.subarray(2990));
    const tail = await h.request(PATH, { headers: { ...BEARER, range: "bytes=-5" } });
    assert.deepEqual(new Uint8Array(await tail.arrayBuffer()), AUDIO.subarray(AUDIO.length - 5));
    const past = await h.request(PATH, { headers: { ...BEARER, range: "bytes=5000-" } });
    assert.equal(past.status, 416);
    assert.equal(past.headers.get("content-range"), `bytes */${AUDIO.length}`);
    await past.body?.cancel();
  });
});

Deno.test("recording route: a signed link opens it without the secret until it expires", async () => {
  await withRoute(async (h) => {
    h.ended.add(CALL);
    assert.equal(await h.archive.link(CALL, 600), null, "no recording yet: no link");
    assert.equal(await h.archive.finish(CALL), true);
    const link = await recordingLink(h.archive, 600)(CALL);
    assert.ok(link !== null && link.startsWith(`${BASE}${PATH}?expires=`));
    assert.ok(!link.includes(SECRET), "a link never carries the bridge secret");
    const url = new URL(link);
    const ok = await h.request(url.pathname + url.search);
    assert.equal(ok.status, 200);
    assert.deepEqual(new Uint8Array(await ok.arrayBuffer()), AUDIO);

    // Tampered: another expiry, or the same signature for another call.
    const later = new URL(link);
    later.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 3600));
    const tampered = await h.request(later.pathname + later.search);
    assert.equal(tampered.status, 403);
    await tampered.body?.cancel();
    const other = await h.request(`/calls/other/recording${url.search}`);
    assert.equal(other.status, 403);
    await other.body?.cancel();
    // A link signed with another secret is refused.
    const foreign = new URL(
      await signRecordingLink(await linkKey("another-secret-entirely"), BASE, CALL, 600, h.t.now),
    );
    assert.equal((await h.request(foreign.pathname + foreign.search)).status, 403);

    // Expired: 601 s on.
    h.t.now = new Date(h.t.now.getTime() + 601_000);
    const expired = await h.request(url.pathname + url.search);
    assert.equal(expired.status, 403);
    assert.deepEqual(await expired.json(), { error: "link expired" });
    // The rest of the API still wants the secret.
    assert.equal((await h.request(`/sessions${url.search}`)).status, 401);
  });
});

Deno.test("link keys: RECORDING_LINK_SECRET, else derived from the bridge secret (never it)", async () => {
  const now = new Date("2026-12-07T06:00:00Z");
  const derived = await signRecordingLink(await linkKey(SECRET), BASE, "c", 60, now);
  const raw = await signRecordingLink(await linkKey("unused", SECRET), BASE, "c", 60, now);
  assert.notEqual(derived, raw, "the bridge secret itself is not the link key");
  const own = await signRecordingLink(
    await linkKey(SECRET, "link-secret-link-secret"),
    BASE,
    "c",
    60,
    now,
  );
  assert.notEqual(own, derived);
});

Deno.test("parseRangeHeader: one bytes range, else the whole file", () => {
  assert.deepEqual(parseRangeHeader("bytes=0-"), { start: 0, end: undefined });
  assert.deepEqual(parseRangeHeader("bytes=5-9"), { start: 5, end: 9 });
  assert.deepEqual(parseRangeHeader("bytes=-7"), { suffix: 7 });
  for (const h of [undefined, "", "bytes=-", "bytes=9-5", "bytes=0-1,3-4", "items=0-1"]) {
    assert.equal(parseRangeHeader(h), undefined, String(h));
  }
});

Deno.test("recording route: HEAD gives the headers without a body", async () => {
  await withRoute(async (h) => {
    h.ended.add(CALL);
    const res = await h.request(PATH, { method: "HEAD", headers: BEARER });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(AUDIO.length));
    assert.equal(res.body, null);
  });
});
