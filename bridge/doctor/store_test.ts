import assert from "node:assert/strict";
import { checkStore } from "./store.ts";
import { openStore } from "../../store/open.ts";
import { postgresAvailable, withTestDatabase } from "../../tests/support/postgres.ts";

Deno.test("doctor store: PGlite migrated at open passes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await (await openStore({ pgliteDir: dir })).close();
    const row = await checkStore({ config: { pgliteDir: dir }, timeoutMs: 10_000 });
    assert.equal(row.status, "ok", row.detail);
    assert.match(row.detail, /reachable, every migration applied/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor store: unapplied migrations fail, named, when nothing will apply them", async () => {
  const row = await checkStore({
    config: { pgliteDir: "memory://", migrate: false },
    timeoutMs: 10_000,
  });
  assert.equal(row.status, "fail");
  assert.match(row.detail, /migration\(s\) not applied: 20261124000000_voice_calls/);
  assert.match(row.fix!, /supabase db push/);
  // PGlite with STORE_MIGRATE on (its default) applies them at start: not a failure.
  const auto = await checkStore({ config: { pgliteDir: "memory://" }, timeoutMs: 10_000 });
  assert.equal(auto.status, "ok");
  assert.match(auto.detail, /applied at the next start/);
});

Deno.test("doctor store: an unreachable server fails without its password", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const row = await checkStore({
    config: { url: `postgres://app:pw-very-secret@127.0.0.1:${port}/calls` },
    timeoutMs: 5000,
  });
  assert.equal(row.status, "fail");
  assert.match(row.detail, /PostgreSQL 127\.0\.0\.1:\d+\/calls/);
  assert.doesNotMatch(JSON.stringify(row), /pw-very-secret/);
  assert.match(row.fix!, /DATABASE_URL/);
});

Deno.test({
  name: "doctor store: real PostgreSQL, before and after migrating [postgres]",
  ignore: !postgresAvailable(),
}, () =>
  withTestDatabase(async (db) => {
    const before = await checkStore({ config: { url: db.url }, timeoutMs: 10_000 });
    assert.equal(before.status, "fail", before.detail);
    assert.match(before.detail, /4 migration\(s\) not applied|migration\(s\) not applied/);
    await (await openStore({ url: db.url, migrate: true })).close();
    const after = await checkStore({ config: { url: db.url }, timeoutMs: 10_000 });
    assert.equal(after.status, "ok", after.detail);
  }));
