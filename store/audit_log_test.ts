import assert from "node:assert/strict";
import { testOnBothBackends } from "./backends_test_utils.ts";
import { insertAudit } from "./audit_log.ts";
import type { SqlAdapter } from "./adapter.ts";
import { createStore } from "./store.ts";
import { applyMigrations, loadMigrations } from "./migrate.ts";
import { openPgliteAdapter } from "./pglite.ts";
import { openPostgresAdapter } from "./postgres.ts";
import { postgresAvailable, withTestDatabase } from "../tests/support/postgres.ts";

const T0 = new Date("2026-12-09T10:00:00Z");
const at = (s: number) => new Date(T0.getTime() + s * 1000);

testOnBothBackends(
  "audit log",
  "records who, when, action, target, before and after",
  async (store) => {
    const first = await store.recordAudit({
      actorId: "u-1",
      actorEmail: "admin@x.test",
      action: "agent_settings.update",
      target: "pn-1",
      before: null,
      after: { greeting: "Hi ☎", hours: [{ day: 1, from: "09:00" }] },
      occurredAt: at(0),
    });
    assert.deepEqual({ ...first, id: 0 }, {
      id: 0,
      occurredAt: at(0),
      actorId: "u-1",
      actorEmail: "admin@x.test",
      action: "agent_settings.update",
      target: "pn-1",
      before: null,
      after: { greeting: "Hi ☎", hours: [{ day: 1, from: "09:00" }] },
    });
    await store.recordAudit({
      actorId: "u-2",
      action: "call.end",
      target: "wacid.1",
      occurredAt: at(5),
    });
    await store.recordAudit({
      actorId: "u-1",
      action: "agent_settings.update",
      target: "pn-2",
      before: { greeting: "a" },
      after: { greeting: "b\u0000" },
      occurredAt: at(10),
    });
    const all = await store.listAudit();
    assert.deepEqual(all.map((e) => e.target), ["pn-2", "wacid.1", "pn-1"]);
    assert.deepEqual(all[0]!.after, { greeting: "b\ufffd" });
    assert.deepEqual((await store.listAudit({ target: "pn-1" })).map((e) => e.id), [first.id]);
    assert.deepEqual((await store.listAudit({ action: "call.end" })).map((e) => e.actorId), [
      "u-2",
    ]);
    assert.deepEqual((await store.listAudit({ actorId: "u-1" })).length, 2);
    const page1 = await store.listAudit({ limit: 2 });
    const page2 = await store.listAudit({ limit: 2, beforeId: page1.at(-1)!.id });
    assert.deepEqual([...page1, ...page2].map((e) => e.target), ["pn-2", "wacid.1", "pn-1"]);
    await assert.rejects(() => store.recordAudit({ actorId: "", action: "x" }));
    await assert.rejects(() => store.recordAudit({ actorId: "u", action: "Drop table;" }));
  },
);

/** Runs `check` on a migrated adapter of each backend (the store hides its adapter). */
function onBothAdapters(what: string, check: (db: SqlAdapter) => Promise<void>): void {
  const run = async (db: SqlAdapter) => {
    try {
      await applyMigrations(db, await loadMigrations());
      await check(db);
    } finally {
      await db.close();
    }
  };
  Deno.test(`audit log [pglite]: ${what}`, async () => run(await openPgliteAdapter("memory://")));
  const missing = postgresAvailable() ? "" : " (ignored: no PostgreSQL or DATABASE_URL)";
  Deno.test({
    name: `audit log [postgres]: ${what}${missing}`,
    ignore: missing !== "",
    fn: () => withTestDatabase((t) => run(openPostgresAdapter(t.url))),
  });
}

onBothAdapters(
  "append-only (updates, deletes refused); insertAudit joins the caller's transaction",
  async (db) => {
    const entry = await insertAudit(db, { actorId: "u-1", action: "call.end", target: "c" });
    await assert.rejects(
      () =>
        db.query("update public.console_audit_log set actor_id = 'x' where id = $1", [entry.id]),
      /append-only/,
    );
    await assert.rejects(
      () => db.query("delete from public.console_audit_log where id = $1", [entry.id]),
      /append-only/,
    );
    const store = createStore(db, "pglite");
    assert.equal((await store.listAudit())[0]!.actorId, "u-1");

    // insertAudit commits and rolls back with the caller's transaction.
    await db.transaction(async (tx) => {
      await insertAudit(tx, { actorId: "u-1", action: "agent_settings.update", target: "kept" });
    });
    await assert.rejects(() =>
      db.transaction(async (tx) => {
        await insertAudit(tx, { actorId: "u-1", action: "agent_settings.update", target: "lost" });
        throw new Error("the settings write failed");
      })
    );
    assert.deepEqual((await store.listAudit()).map((e) => e.target), ["kept", "c"]);
  },
);
