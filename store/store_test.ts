import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import {
  postgresAvailable,
  type PostgresServer,
  startPostgres,
} from "../tests/support/postgres.ts";
import { createStore, jsonParam, type Store } from "./store.ts";
import { openStore, storeConfigFromEnv } from "./open.ts";
import type { SqlAdapter } from "./adapter.ts";
import { applyMigrations, loadMigrations } from "./migrate.ts";
import { pgliteAdapter } from "./pglite.ts";
import { openPostgresAdapter } from "./postgres.ts";

const TABLES = [
  "voice_calls",
  "voice_call_events",
  "voice_call_transcripts",
  "wa_webhook_receipts",
  "voice_call_usage",
  "voice_call_recordings",
  "voice_call_figures",
  "voice_call_analysis",
  "voice_call_webhooks",
  "voice_call_facts",
  "console_audit_log",
  "voice_call_search",
  "agent_settings",
  "agent_settings_history",
  "wa_call_permissions",
  "wa_call_permission_events",
  "wa_outbound_call_requests",
  "wa_campaigns",
  "wa_campaign_recipients",
  "wa_campaign_attempts",
];
/** Every migration in `supabase/migrations`, in order: version and name. */
const MIGRATIONS = [
  ["20261124000000", "voice_calls"],
  ["20261207000100", "caller_identity"],
  ["20261207000200", "voice_call_usage"],
  ["20261207000300", "bridge_record_keys"],
  ["20261208000100", "voice_call_recordings"],
  ["20261208000200", "voice_call_figures"],
  ["20261208000300", "voice_call_analysis"],
  ["20261208000400", "call_webhook_outbox"],
  ["20261209000100", "console_audit_log"],
  ["20261209000200", "call_history_search"],
  ["20261209000300", "call_analytics"],
  ["20261209000400", "agent_settings"],
  ["20261209000500", "test_calls"],
  ["20261209000600", "call_facts_test_calls"],
  ["20261210000100", "call_permissions"],
  ["20261211000100", "outbound_call_requests"],
  ["20261212000100", "campaigns"],
  ["20261212000200", "customer_service_window"],
];
const CALL = "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh";
const T0 = new Date("2026-11-24T10:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/** A database that has not been migrated, and the store over it once it is. */
interface Backend {
  fresh(): Promise<SqlAdapter>;
  migrated(): Promise<SqlAdapter>;
}

interface Ctx {
  db: SqlAdapter;
  store: Store;
}

/** Cases run on an unmigrated database. */
const freshCases: [string, (db: SqlAdapter) => Promise<void>][] = [
  ["migrations create the tables with RLS on and no policies", async (db) => {
    assert.deepEqual(
      await applyMigrations(db, await loadMigrations()),
      MIGRATIONS.map(([version]) => version),
    );
    const rls = await db.query<{ relname: string; relrowsecurity: boolean }>(
      `select relname, relrowsecurity from pg_class
       where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname`,
    );
    assert.deepEqual(
      rls,
      [...TABLES].sort().map((relname) => ({ relname, relrowsecurity: true })),
    );
    const policies = await db.query("select * from pg_policy");
    assert.deepEqual(policies, []);
  }],

  ["migrations apply once and are recorded", async (db) => {
    const migrations = await loadMigrations();
    assert.deepEqual(migrations.map((m) => [m.version, m.name]), MIGRATIONS);
    assert.equal((await applyMigrations(db, migrations)).length, MIGRATIONS.length);
    assert.deepEqual(await applyMigrations(db, migrations), []);
    const recorded = await db.query(
      "select version, name from supabase_migrations.schema_migrations",
    );
    assert.deepEqual(recorded, MIGRATIONS.map(([version, name]) => ({ version, name })));
  }],

  ["migrations take back Supabase's default grants to the API roles", async (db) => {
    // What Supabase sets up: anon/authenticated get everything on new public objects.
    await db.exec(`
      do $$ begin
        create role anon nologin;
      exception when duplicate_object then null; end $$;
      do $$ begin
        create role authenticated nologin;
      exception when duplicate_object then null; end $$;
      alter default privileges in schema public grant all on tables to anon, authenticated;
      alter default privileges in schema public grant all on sequences to anon, authenticated;
    `);
    await applyMigrations(db, await loadMigrations());
    for (const role of ["anon", "authenticated"]) {
      for (const table of TABLES) {
        const [row] = await db.query<{ ok: boolean }>(
          "select has_table_privilege($1, $2, 'select,insert,update,delete') as ok",
          [role, `public.${table}`],
        );
        assert.equal(row?.ok, false, `${role} on ${table}`);
      }
      const [seq] = await db.query<{ ok: boolean }>(
        "select has_sequence_privilege($1, 'public.voice_call_events_id_seq', 'usage') as ok",
        [role],
      );
      assert.equal(seq?.ok, false);
    }
  }],
];

/** Cases run on a freshly migrated database. */
const cases: [string, (ctx: Ctx) => Promise<void>][] = [
  ["recordEvent inserts one of 20 concurrent duplicates", async ({ store }) => {
    const results = await Promise.all(
      Array.from(
        { length: 20 },
        () => store.recordEvent({ callId: CALL, name: "connect", dedupeKey: `${CALL}:connect` }),
      ),
    );
    assert.equal(results.filter((r) => r.inserted).length, 1);
    assert.equal((await store.listEvents(CALL)).length, 1);
  }],

  ["recordEvent without a dedupe key always inserts", async ({ store }) => {
    assert.deepEqual(await store.recordEvent({ callId: CALL, name: "ice" }), { inserted: true });
    assert.deepEqual(await store.recordEvent({ callId: CALL, name: "ice" }), { inserted: true });
    assert.equal((await store.listEvents(CALL)).length, 2);
  }],

  ["recordEvent round-trips data and lists by occurrence", async ({ store }) => {
    const data = { status: "COMPLETED", duration: 120, nested: { ok: true, list: [1, "two"] } };
    await store.recordEvent({ callId: CALL, name: "terminate", data, occurredAt: at(120) });
    await store.recordEvent({ callId: CALL, name: "connect", occurredAt: at(0) });
    await store.recordEvent({ callId: "wacid.other", name: "connect" });
    const events = await store.listEvents(CALL);
    assert.deepEqual(events.map((e) => [e.name, e.occurredAt.toISOString(), e.data]), [
      ["connect", at(0).toISOString(), {}],
      ["terminate", at(120).toISOString(), data],
    ]);
    assert.equal(events[0]?.dedupeKey, null);
    assert.equal(typeof events[0]?.id, "number");
  }],

  ["NUL characters in text and JSON are stored as U+FFFD", async ({ store }) => {
    const data = { sdp: "v=0\u0000", literal: "\\u0000" };
    assert.equal((await store.recordEvent({ callId: CALL, name: "odd", data })).inserted, true);
    const [event] = await store.listEvents(CALL);
    assert.deepEqual(event?.data, { sdp: "v=0\ufffd", literal: "\\u0000" });
    const call = await store.upsertCall({ callId: "wacid.\0", fromNumber: "+1\0" });
    assert.deepEqual([call.callId, call.fromNumber], ["wacid.\ufffd", "+1\ufffd"]);
    assert.equal((await store.getCall("wacid.\0"))?.fromNumber, "+1\ufffd");
  }],

  [
    "closeStaleCalls ends live calls created before the cutoff, at most `limit`",
    async ({ store }) => {
      for (const status of ["offered", "active", "rejected"] as const) {
        await store.upsertCall({ callId: `${CALL}.${status}`, status });
      }
      const query = { limit: 5, endReason: "reconciled_stale", now: at(0) };
      const past = new Date(Date.now() - 60_000);
      assert.deepEqual(await store.closeStaleCalls({ ...query, createdBefore: past }), []);
      const future = new Date(Date.now() + 60_000);
      assert.equal(
        (await store.closeStaleCalls({ ...query, createdBefore: future, limit: 1 })).length,
        1,
      );
      const rest = await store.closeStaleCalls({ ...query, createdBefore: future });
      assert.equal(rest.length, 1);
      const rows = await Promise.all(
        ["offered", "active", "rejected"].map((s) => store.getCall(`${CALL}.${s}`)),
      );
      assert.deepEqual(rows.map((c) => [c?.status, c?.endReason, c?.endedAt]), [
        ["failed", "reconciled_stale", at(0)],
        ["completed", "reconciled_stale", at(0)],
        ["rejected", null, null],
      ]);
    },
  ],

  ["lone UTF-16 surrogates in text, JSON and receipts are stored as U+FFFD", async ({ store }) => {
    // JSON.stringify writes a lone surrogate as `\ud800`, which jsonb refuses; pairs stay.
    const name = "Ana\ud800 \udfff \ud83d\ude00";
    const clean = "Ana\ufffd \ufffd \ud83d\ude00";
    const data = { profile: { name }, [`k\udc00`]: "\\ud800" };
    assert.equal((await store.recordEvent({ callId: CALL, name: "odd", data })).inserted, true);
    const [event] = await store.listEvents(CALL);
    assert.deepEqual(event?.data, { profile: { name: clean }, "k\ufffd": "\\ud800" });
    const call = await store.upsertCall({ callId: CALL, profileName: name });
    assert.equal(call.profileName, clean);
    await store.recordReceipt({ reason: "odd", payload: data, raw: name });
    const [receipt] = await store.listReceipts(1);
    assert.deepEqual([receipt?.payload, receipt?.raw], [event?.data, clean]);
  }],

  [
    "a caller known only by user id: identity, context and Meta's verdict round-trip",
    async ({ store }) => {
      const call = await store.upsertCall({
        callId: CALL,
        direction: "user_initiated",
        toNumber: "16315553601",
        fromUserId: "BR.1502576394655843",
        username: "pablo.m",
        profileName: "Pablo Morales",
        ctaPayload: "support-button",
        deeplinkPayload: "order-42",
        bizOpaqueCallbackData: "ticket-7",
      });
      assert.equal(call.fromNumber, null, "no number invented");
      assert.deepEqual(
        [call.fromUserId, call.username, call.profileName, call.ctaPayload, call.deeplinkPayload],
        ["BR.1502576394655843", "pablo.m", "Pablo Morales", "support-button", "order-42"],
      );
      assert.equal(call.bizOpaqueCallbackData, "ticket-7");
      const ended = await store.transitionCall(CALL, "failed", {
        metaStatus: "Failed",
        metaErrorCodes: [138019, 138021],
      });
      assert.deepEqual([ended.call?.metaStatus, ended.call?.metaErrorCodes], [
        "Failed",
        [138019, 138021],
      ]);
      assert.deepEqual((await store.getCall(CALL))?.metaErrorCodes, [138019, 138021]);
      const cleared = await store.upsertCall({ callId: CALL, metaErrorCodes: [], toUserId: null });
      assert.deepEqual([cleared.metaErrorCodes, cleared.toUserId], [[], null]);
    },
  ],

  ["upsertCall creates a call, then changes only the fields given", async ({ store }) => {
    const created = await store.upsertCall({
      callId: CALL,
      direction: "user_initiated",
      fromNumber: "16315553602",
      toNumber: "16315553601",
      phoneNumberId: "436666719526789",
      offeredAt: at(0),
    });
    assert.equal(created.status, "offered");
    assert.equal(created.fromNumber, "16315553602");
    assert.equal(created.offeredAt?.toISOString(), at(0).toISOString());
    assert.equal(created.endedAt, null);

    const updated = await store.upsertCall({
      callId: CALL,
      status: "completed",
      endedAt: at(120),
      durationSeconds: 120,
      fromNumber: undefined,
      bridgeSessionId: "s1",
    });
    assert.equal(updated.status, "completed");
    assert.equal(updated.fromNumber, "16315553602");
    assert.equal(updated.offeredAt?.toISOString(), at(0).toISOString());
    assert.equal(updated.durationSeconds, 120);

    const cleared = await store.upsertCall({ callId: CALL, bridgeSessionId: null });
    assert.equal(cleared.bridgeSessionId, null);
    assert.equal(cleared.endedAt?.toISOString(), at(120).toISOString());

    const untouched = await store.upsertCall({ callId: CALL });
    assert.deepEqual({ ...untouched, updatedAt: null }, { ...cleared, updatedAt: null });
    assert.deepEqual(await store.getCall(CALL), untouched);
  }],

  ["transitionCall's keep writes a field only where the call has none", async ({ store }) => {
    await store.upsertCall({ callId: CALL, status: "accepted", endReason: "agent_failed" });
    const kept = await store.transitionCall(CALL, "completed", { endReason: "meta_completed" }, {
      keep: ["endReason"],
    });
    assert.equal(kept.applied, true);
    assert.equal(kept.call?.status, "completed");
    assert.equal(kept.call?.endReason, "agent_failed");
    await store.upsertCall({ callId: "wacid.keep2", status: "accepted" });
    const filled = await store.transitionCall("wacid.keep2", "completed", {
      endReason: "meta_completed",
    }, { keep: ["endReason"] });
    assert.equal(filled.call?.endReason, "meta_completed");
  }],

  ["getCall returns null for an unknown call", async ({ store }) => {
    assert.equal(await store.getCall("wacid.unknown"), null);
  }],

  ["transitionCall applies only from the allowed statuses", async ({ store }) => {
    await store.upsertCall({ callId: CALL });
    const pre = await store.transitionCall(CALL, "pre_accepted", { preAcceptedAt: at(1) }, {
      from: ["offered"],
    });
    assert.equal(pre.applied, true);
    assert.equal(pre.call?.status, "pre_accepted");
    assert.equal(pre.call?.preAcceptedAt?.toISOString(), at(1).toISOString());

    const again = await store.transitionCall(CALL, "pre_accepted", { preAcceptedAt: at(9) }, {
      from: ["offered"],
    });
    assert.equal(again.applied, false);
    assert.equal(again.call?.preAcceptedAt?.toISOString(), at(1).toISOString());

    assert.deepEqual(await store.transitionCall(CALL, "accepted", {}, { from: [] }), {
      applied: false,
      call: again.call,
    });
    const forced = await store.transitionCall(CALL, "failed", { metaErrorCode: 138007 });
    assert.equal(forced.applied, true);
    assert.equal(forced.call?.metaErrorCode, 138007);
    assert.deepEqual(await store.transitionCall("wacid.unknown", "active"), {
      applied: false,
      call: null,
    });
  }],

  ["a terminate stored before connect stops the call from being answered", async ({ store }) => {
    await store.upsertCall({ callId: CALL, status: "completed", endedAt: at(30) });
    const offered = await store.upsertCall({
      callId: CALL,
      direction: "user_initiated",
      fromNumber: "16315553602",
      offeredAt: at(0),
    });
    assert.equal(offered.status, "completed");
    const accept = await store.transitionCall(CALL, "accepted", { acceptedAt: at(31) }, {
      from: ["offered", "pre_accepted"],
    });
    assert.equal(accept.applied, false);
    assert.equal(accept.call?.acceptedAt, null);
  }],

  ["concurrent transitions from the same status apply once", async ({ store }) => {
    await store.upsertCall({ callId: CALL, status: "pre_accepted" });
    const results = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          store.transitionCall(CALL, "accepted", { bridgeSessionId: `s${i}` }, {
            from: ["pre_accepted"],
          }),
      ),
    );
    const winners = results.filter((r) => r.applied);
    assert.equal(winners.length, 1);
    assert.equal((await store.getCall(CALL))?.bridgeSessionId, winners[0]?.call?.bridgeSessionId);
  }],

  ["updated_at follows every update, even outside the store", async ({ db, store }) => {
    await store.upsertCall({ callId: CALL });
    await db.query("update public.voice_calls set updated_at = '2000-01-01Z' where call_id = $1", [
      CALL,
    ]);
    const call = await store.getCall(CALL);
    assert.ok(call !== null && call.updatedAt.getUTCFullYear() > 2000);
  }],

  ["transcripts round-trip in speaking order", async ({ store }) => {
    await store.upsertCall({ callId: CALL });
    const second = await store.addTranscript({
      callId: CALL,
      speaker: "agent",
      text: "Hello, how can I help?",
      startedAt: at(2),
      endedAt: at(4),
      interrupted: true,
    });
    await store.addTranscript({
      callId: CALL,
      speaker: "caller",
      text: "Hi",
      startedAt: at(0),
      endedAt: at(1),
    });
    const lines = await store.listTranscripts(CALL);
    assert.deepEqual(lines.map((l) => [l.speaker, l.text, l.interrupted]), [
      ["caller", "Hi", false],
      ["agent", "Hello, how can I help?", true],
    ]);
    assert.deepEqual(lines[1], second);
    assert.equal(lines[0]?.endedAt.toISOString(), at(1).toISOString());
  }],

  [
    "transcripts are refused for unknown calls, bad speakers and reversed times",
    async ({ store }) => {
      const line = {
        callId: CALL,
        speaker: "caller",
        text: "x",
        startedAt: at(0),
        endedAt: at(1),
      } as const;
      await assert.rejects(store.addTranscript(line));
      await store.upsertCall({ callId: CALL });
      await assert.rejects(store.addTranscript({ ...line, speaker: "bot" as "agent" }));
      await assert.rejects(store.addTranscript({ ...line, startedAt: at(2) }));
      assert.deepEqual(await store.listTranscripts(CALL), []);
    },
  ],

  ["receipts keep payload or raw text with the reason", async ({ store }) => {
    const first = await store.recordReceipt({
      reason: "unknown_field",
      field: "account_update",
      payload: { object: "whatsapp_business_account", note: "a\u0000b" },
      receivedAt: at(0),
    });
    const second = await store.recordReceipt({
      reason: "invalid_json",
      raw: '{"entry":[\0',
      receivedAt: at(1),
    });
    assert.ok(second.id > first.id);
    const receipts = await store.listReceipts();
    assert.deepEqual(receipts.map((r) => [r.reason, r.field, r.payload, r.raw]), [
      ["invalid_json", null, null, '{"entry":[\ufffd'],
      [
        "unknown_field",
        "account_update",
        { object: "whatsapp_business_account", note: "a\ufffdb" },
        null,
      ],
    ]);
    assert.equal((await store.listReceipts(1)).length, 1);
  }],
];

async function runSuite(t: Deno.TestContext, backend: Backend, kind: Store["backend"]) {
  for (const [name, fn] of freshCases) {
    await t.step(name, async () => {
      const db = await backend.fresh();
      try {
        await fn(db);
      } finally {
        await db.close();
      }
    });
  }
  for (const [name, fn] of cases) {
    await t.step(name, async () => {
      const db = await backend.migrated();
      const store = createStore(db, kind);
      try {
        await fn({ db, store });
      } finally {
        await store.close();
      }
    });
  }
}

/** In-memory PGlite; every case starts from a copy, as initialising PGlite takes seconds. */
async function pgliteBackend(): Promise<Backend> {
  const source = await PGlite.create("memory://");
  try {
    const empty = await source.dumpDataDir("none");
    await applyMigrations(pgliteAdapter(source), await loadMigrations());
    const migrated = await source.dumpDataDir("none");
    return {
      fresh: async () => pgliteAdapter(await PGlite.create({ loadDataDir: empty })),
      migrated: async () => pgliteAdapter(await PGlite.create({ loadDataDir: migrated })),
    };
  } finally {
    await source.close();
  }
}

/** A new database per case, dropped when its adapter closes. */
function postgresBackend(server: PostgresServer): Backend {
  const fresh = async (): Promise<SqlAdapter> => {
    const database = await server.createDatabase();
    const db = openPostgresAdapter(database.url);
    return {
      ...db,
      async close() {
        await db.close();
        await database.drop();
      },
    };
  };
  return {
    fresh,
    async migrated() {
      const db = await fresh();
      try {
        await applyMigrations(db, await loadMigrations());
        return db;
      } catch (error) {
        await db.close();
        throw error;
      }
    },
  };
}

Deno.test("store [pglite]", async (t) => {
  await runSuite(t, await pgliteBackend(), "pglite");
});

Deno.test({
  name: "store [postgres]",
  ignore: !postgresAvailable(),
  async fn(t) {
    const server = await startPostgres();
    assert.ok(server, "postgresAvailable() promised a server");
    try {
      await runSuite(t, postgresBackend(server), "postgres");
      await t.step("openStore migrates a server only when asked", async () => {
        const database = await server.createDatabase();
        try {
          const plain = await openStore({ url: database.url });
          assert.equal(plain.backend, "postgres");
          await assert.rejects(plain.getCall(CALL), /voice_calls/);
          await plain.close();
          for (let run = 0; run < 2; run++) {
            const store = await openStore({ url: database.url, migrate: true });
            assert.equal(await store.getCall(CALL), null);
            await store.close();
          }
        } finally {
          await database.drop();
        }
      });
    } finally {
      await server.stop();
    }
  },
});

Deno.test("openStore on PGlite migrates once and keeps data across restarts [pglite]", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store_pglite_" });
  try {
    const first = await openStore({ pgliteDir: `${dir}/db` });
    assert.equal(first.backend, "pglite");
    await first.upsertCall({ callId: CALL, fromNumber: "16315553602" });
    await first.recordEvent({ callId: CALL, name: "connect", dedupeKey: `${CALL}:connect` });
    await first.close();

    // Re-running the migration would fail on `create table`, so this open proves it was skipped.
    const second = await openStore({ pgliteDir: `${dir}/db` });
    assert.equal((await second.getCall(CALL))?.fromNumber, "16315553602");
    const again = await second.recordEvent({
      callId: CALL,
      name: "connect",
      dedupeKey: `${CALL}:connect`,
    });
    assert.equal(again.inserted, false);
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore reports a migration that fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store_migrations_" });
  try {
    await Deno.writeTextFile(`${dir}/20260101000000_broken.sql`, "create tabel nope;");
    await assert.rejects(
      openStore({ pgliteDir: "memory://", migrationsDir: dir }),
      /syntax error/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storeConfigFromEnv prefers DATABASE_URL, then SUPABASE_DB_URL, then PGlite", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.deepEqual(
    storeConfigFromEnv(env({ DATABASE_URL: "postgres://a", SUPABASE_DB_URL: "postgres://b" })),
    { url: "postgres://a", pgliteDir: undefined, migrate: undefined },
  );
  assert.equal(
    storeConfigFromEnv(env({ DATABASE_URL: "", SUPABASE_DB_URL: "postgres://b" })).url,
    "postgres://b",
  );
  assert.deepEqual(
    storeConfigFromEnv(env({ STORE_PGLITE_DIR: "/var/db", STORE_MIGRATE: "TRUE" })),
    {
      url: undefined,
      pgliteDir: "/var/db",
      migrate: true,
    },
  );
  assert.equal(storeConfigFromEnv(env({ STORE_MIGRATE: "0" })).migrate, false);
  assert.throws(() => storeConfigFromEnv(env({ STORE_MIGRATE: "maybe" })), RangeError);
});

Deno.test("jsonParam replaces NUL escapes but not escaped backslashes", () => {
  assert.equal(jsonParam(undefined), null);
  assert.equal(jsonParam({ a: "x\u0000" }), String.raw`{"a":"x\ufffd"}`);
  // A literal backslash followed by `u0000` is text, not a NUL.
  assert.equal(jsonParam({ a: "x\\u0000" }), String.raw`{"a":"x\\u0000"}`);
  assert.equal(jsonParam({ a: "\\\\u0000" }), String.raw`{"a":"\\\\u0000"}`);
  // A literal backslash followed by a NUL.
  assert.equal(jsonParam(["\\\u0000"]), String.raw`["\\\ufffd"]`);
  // Lone surrogates too, but not a pair, nor a literal backslash before `ud800`.
  assert.equal(
    jsonParam(["\ud800", "\ud83d\ude00", "\\ud800"]),
    '["\\ufffd","\ud83d\ude00","\\\\ud800"]',
  );
});
