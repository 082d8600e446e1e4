import assert from "node:assert/strict";
import { DeferredWriteSchema } from "../../store/deferred_write.ts";
import { FileOutbox } from "../../store/outbox.ts";
import { stalledManager } from "../../tests/support/stalled_manager.ts";
import { createApp } from "./app.ts";

const SECRET = "s3cret-s3cret-s3cret";

const records = [
  {
    op: "recordEvent",
    event: { callId: "wacid.r1", name: "connect", dedupeKey: "wacid.r1:connect", data: { a: 1 } },
  },
  { op: "upsertCall", call: { callId: "wacid.r1", status: "accepted" } },
];

async function withOutboxApp(
  fn: (
    post: (body: unknown, auth?: string) => Promise<Response>,
    outbox: FileOutbox<unknown>,
  ) => Promise<void>,
  withOutbox = true,
) {
  const dir = await Deno.makeTempDir();
  const outbox = new FileOutbox(`${dir}/outbox.jsonl`, DeferredWriteSchema);
  const app = createApp({
    manager: stalledManager(1).manager,
    secret: SECRET,
    cpuPercent: () => 0,
    outbox: withOutbox ? outbox : undefined,
  });
  const post = async (body: unknown, auth = `Bearer ${SECRET}`) =>
    await app.request("/records", {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  try {
    await fn(post, outbox as FileOutbox<unknown>);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("POST /records appends the function's unwritten records to the outbox, in order", () =>
  withOutboxApp(async (post, outbox) => {
    const res = await post({ records });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: 2 });
    const kept = await outbox.read();
    assert.deepEqual(kept.map((r) => (r as { op: string }).op), ["recordEvent", "upsertCall"]);
  }));

Deno.test("POST /records refuses strangers, bad records and an empty batch, keeping nothing", () =>
  withOutboxApp(async (post, outbox) => {
    const stranger = await post({ records }, "Bearer wrong-secret-wrong");
    assert.equal(stranger.status, 401);
    await stranger.body?.cancel();
    for (const bad of [{ records: [] }, { records: [{ op: "dropTable" }] }, "{not json"]) {
      const res = await post(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      await res.body?.cancel();
    }
    assert.deepEqual(await outbox.read(), []);
  }));

Deno.test("POST /records without an outbox answers 503 so the function keeps its receipt", () =>
  withOutboxApp(async (post) => {
    const res = await post({ records });
    assert.equal(res.status, 503);
    await res.body?.cancel();
  }, false));

Deno.test("POST /records answers 503 with retry-after when the outbox is full, keeping what it had", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const outbox = new FileOutbox(`${dir}/outbox.jsonl`, DeferredWriteSchema, 64);
    const app = createApp({
      manager: stalledManager(1).manager,
      secret: SECRET,
      cpuPercent: () => 0,
      outbox,
    });
    const res = await app.request("/records", {
      method: "POST",
      headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
      body: JSON.stringify({ records }),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "60");
    assert.deepEqual(await res.json(), { error: "outbox full" });
    assert.deepEqual(await outbox.read(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
