import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";
import { LIVE_CHANNEL, LIVE_COMMAND_CHANNEL, NOTIFY_MAX_BYTES, utf8Bytes } from "./live.ts";
import type { Store } from "./store.ts";
import { openStore } from "./open.ts";
import { postgresAvailable, withTestDatabase } from "../tests/support/postgres.ts";

/** Listens on `channel`, collecting payloads; `until(n)` waits (≤ 5 s) for `n` of them. */
async function hear(
  store: Store,
  channel: typeof LIVE_CHANNEL | typeof LIVE_COMMAND_CHANNEL,
): Promise<{ got: string[]; until(n: number): Promise<string[]>; unlisten(): Promise<void> }> {
  const got: string[] = [];
  const unlisten = await store.listen(channel, (p) => got.push(p));
  return {
    got,
    async until(n) {
      for (let i = 0; i < 250 && got.length < n; i++) await new Promise((r) => setTimeout(r, 20));
      return [...got];
    },
    unlisten,
  };
}

testOnBothBackends("live", "a NOTIFY reaches the LISTEN of its channel only", async (store) => {
  const live = await hear(store, LIVE_CHANNEL);
  const commands = await hear(store, LIVE_COMMAND_CHANNEL);
  await store.notify(LIVE_CHANNEL, "one");
  await store.notify(LIVE_CHANNEL, "twö ✓");
  assert.deepEqual(await live.until(2), ["one", "twö ✓"]);
  assert.deepEqual(commands.got, []);
  await live.unlisten();
  await commands.unlisten();
});

testOnBothBackends("live", "after unlisten nothing more is heard", async (store) => {
  const got: string[] = [];
  const unlisten = await store.listen(LIVE_CHANNEL, (p) => got.push(p));
  await store.notify(LIVE_CHANNEL, "before");
  for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  await unlisten();
  await store.notify(LIVE_CHANNEL, "after");
  // A round trip after the NOTIFY: a delivery still due would have come by now.
  await store.listLiveCalls(1);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(got, ["before"]);
});

testOnBothBackends(
  "live",
  "a payload over NOTIFY's limit is refused before the database",
  async (store) => {
    await store.notify(LIVE_CHANNEL, "x".repeat(NOTIFY_MAX_BYTES));
    // Two bytes a character: the limit counts bytes, not characters.
    await assert.rejects(store.notify(LIVE_CHANNEL, "é".repeat(4000)), RangeError);
  },
);

testOnBothBackends(
  "live",
  "listLiveCalls lists calls not yet ended, newest first",
  async (store) => {
    await store.upsertCall({ callId: "c-old", status: "active" });
    await store.upsertCall({ callId: "c-done", status: "completed" });
    await store.upsertCall({ callId: "c-new", status: "offered" });
    await store.upsertCall({ callId: "c-failed", status: "failed" });
    const ids = (await store.listLiveCalls()).map((c) => c.callId);
    assert.deepEqual(ids.toSorted(), ["c-new", "c-old"]);
    assert.deepEqual((await store.listLiveCalls(1)).length, 1);
  },
);

Deno.test({
  name: "live [postgres]: a NOTIFY from one pool reaches another pool's LISTEN" +
    (postgresAvailable() ? "" : " (ignored: no PostgreSQL)"),
  ignore: !postgresAvailable(),
  fn: () =>
    withTestDatabase(async (db) => {
      const a = await openStore({ url: db.url, migrate: true });
      const b = await openStore({ url: db.url });
      try {
        const live = await hear(b, LIVE_CHANNEL);
        await a.notify(LIVE_CHANNEL, JSON.stringify({ from: "a" }));
        assert.deepEqual(await live.until(1), ['{"from":"a"}']);
        await live.unlisten();
      } finally {
        await a.close();
        await b.close();
      }
    }),
});

Deno.test("live: utf8Bytes counts as UTF-8 does", () => {
  for (const text of ["", "abc", "é", "€", "😀", "a\u0000é€😀\ud800", "x".repeat(9000)]) {
    assert.equal(utf8Bytes(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
});
