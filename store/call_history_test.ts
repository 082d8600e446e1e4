import assert from "node:assert/strict";
import type { SqlAdapter } from "./adapter.ts";
import { applyMigrations, loadMigrations } from "./migrate.ts";
import { type CallStatus, createStore, type Store } from "./store.ts";
import {
  type CallHistoryFilter,
  callHistoryMethods,
  type CallHistoryRow,
  type HistoryCursor,
} from "./call_history.ts";
import { postgresAvailable, withTestDatabase } from "../tests/support/postgres.ts";

/** A migrated store and its adapter (to set `created_at`, which the store never writes). */
type Check = (store: Store, db: SqlAdapter) => Promise<void>;

async function run(db: SqlAdapter, backend: Store["backend"], check: Check): Promise<void> {
  await applyMigrations(db, await loadMigrations());
  const store = createStore(db, backend);
  try {
    await check(store, db);
  } finally {
    await store.close();
  }
}

function bothBackends(what: string, check: Check): void {
  Deno.test(`call history [pglite]: ${what}`, async () => {
    const { openPgliteAdapter } = await import("./pglite.ts");
    await run(await openPgliteAdapter("memory://"), "pglite", check);
  });
  const missing = postgresAvailable() ? "" : " (ignored: no PostgreSQL or DATABASE_URL)";
  Deno.test({
    name: `call history [postgres]: ${what}${missing}`,
    ignore: missing !== "",
    fn: () =>
      withTestDatabase(async ({ url }) => {
        const { openPostgresAdapter } = await import("./postgres.ts");
        await run(openPostgresAdapter(url, { maxConnections: 2 }), "postgres", check);
      }),
  });
}

interface Seed {
  id: string;
  /** Seconds after 2026-12-01T10:00:00Z; equal values make ties. */
  at: number;
  /** Extra microseconds, to test that cursors keep them. */
  micros?: number;
  from?: string;
  to?: string;
  pnid?: string;
  direction?: "user_initiated" | "business_initiated";
  status?: CallStatus;
  outcome?: string;
  said?: string[];
  cost?: number;
}

const T0 = Date.parse("2026-12-01T10:00:00Z");

async function seed(store: Store, db: SqlAdapter, calls: readonly Seed[]): Promise<void> {
  for (const c of calls) {
    await store.upsertCall({
      callId: c.id,
      fromNumber: c.from ?? "15550001111",
      toNumber: c.to ?? "15550009999",
      phoneNumberId: c.pnid ?? "106540352242922",
      direction: c.direction ?? "user_initiated",
      status: c.status ?? "completed",
    });
    const at = new Date(T0 + c.at * 1000).toISOString().replace("Z", "");
    await db.query(
      `update public.voice_calls set created_at = ($1::timestamp + make_interval(secs => $2::float8 / 1e6)) at time zone 'UTC'
       where call_id = $3`,
      [at, c.micros ?? 0, c.id],
    );
    for (const [i, text] of (c.said ?? []).entries()) {
      const start = new Date(T0 + c.at * 1000 + i * 2000);
      await store.addTranscript({
        callId: c.id,
        speaker: i % 2 === 0 ? "caller" : "agent",
        text,
        startedAt: start,
        endedAt: new Date(start.getTime() + 1500),
      });
    }
    if (c.outcome !== undefined) {
      await store.saveAnalysis({
        callId: c.id,
        status: "analysed",
        reason: null,
        summary: "s",
        outcome: c.outcome,
        fields: null,
        model: "m",
        usage: null,
        attempts: 1,
      });
    }
    if (c.cost !== undefined) {
      await store.saveFigures({
        callId: c.id,
        costUsd: c.cost,
        cost: {},
        turnCount: 0,
        turnP50Ms: null,
        turnP95Ms: null,
        webhookToAcceptMs: null,
        acceptToFirstAudioMs: null,
        latency: {},
      });
    }
  }
}

async function ids(store: Store, filter: CallHistoryFilter): Promise<string[]> {
  const page = await store.listCallHistory(filter, { limit: 100 });
  return page.rows.map((r) => r.callId);
}

const FILTER_CALLS: Seed[] = [
  { id: "a", at: 0, from: "4915112345678", outcome: "resolved", said: ["I need a Refund please"] },
  { id: "b", at: 60, to: "4915112345678", direction: "business_initiated", status: "failed" },
  { id: "c", at: 3600 * 24, pnid: "999000111", outcome: "escalated", said: ["refunds are slow"] },
  {
    id: "d",
    at: 3600 * 48,
    status: "rejected",
    said: ["book a table", "your booking number is 42"],
  },
  { id: "e", at: 3600 * 72, outcome: "resolved", cost: 0.0123, said: ["Hola, quiero reservar"] },
];

bothBackends(
  "each filter narrows to exactly the matching calls, newest first",
  async (store, db) => {
    await seed(store, db, FILTER_CALLS);
    assert.deepEqual(await ids(store, {}), ["e", "d", "c", "b", "a"]);
    // Dates: since inclusive, until exclusive.
    const day = (n: number) => new Date(T0 + n * 86_400_000);
    assert.deepEqual(await ids(store, { since: day(1), until: day(3) }), ["d", "c"]);
    assert.deepEqual(await ids(store, { until: day(1) }), ["b", "a"]);
    // A number matches the caller's side (from or to) and the business's id.
    assert.deepEqual(await ids(store, { number: "4915112345678" }), ["b", "a"]);
    assert.deepEqual(await ids(store, { number: "999000111" }), ["c"]);
    // Viewers' scope: the business's id only, never a caller's number.
    assert.deepEqual(await ids(store, { number: "4915112345678", numberScope: "business" }), []);
    assert.deepEqual(await ids(store, { number: "999000111", numberScope: "business" }), ["c"]);
    assert.deepEqual(await ids(store, { direction: "business_initiated" }), ["b"]);
    assert.deepEqual(await ids(store, { status: "rejected" }), ["d"]);
    assert.deepEqual(await ids(store, { outcome: "resolved" }), ["e", "a"]);
    assert.deepEqual(await ids(store, { outcome: "resolved", since: day(1) }), ["e"]);
    // Text: whole words, any case, no stemming; phrases and exclusions in web-search syntax.
    assert.deepEqual(await ids(store, { text: "refund" }), ["a"]);
    assert.deepEqual(await ids(store, { text: "REFUNDS" }), ["c"]);
    assert.deepEqual(await ids(store, { text: "booking 42" }), ["d"]);
    assert.deepEqual(await ids(store, { text: '"number is 42"' }), ["d"]);
    assert.deepEqual(await ids(store, { text: '"is number 42"' }), []);
    // Words match anywhere in the call: "table" and "42" were said on different lines.
    assert.deepEqual(await ids(store, { text: "table -booking" }), []);
    assert.deepEqual(await ids(store, { text: "table 42" }), ["d"]);
    assert.deepEqual(await ids(store, { text: "quiero" }), ["e"]);
    assert.deepEqual(await ids(store, { text: "refund", outcome: "escalated" }), []);
    // Outcome and cost come along with each row.
    const [e] = (await store.listCallHistory({ text: "hola" }, { limit: 5 })).rows as [
      CallHistoryRow,
    ];
    assert.equal(e.outcome, "resolved");
    assert.equal(e.costUsd, 0.0123);
    assert.deepEqual(await store.listOutcomes(), ["escalated", "resolved"]);

    // Both ways of looking words up (index first, or along the history) agree.
    const walking = callHistoryMethods(db, { textFetchLimit: 0 });
    for (
      const text of ["refund", "REFUNDS", '"number is 42"', "table 42", "table -booking", "zzz"]
    ) {
      const fetched = await ids(store, { text });
      const walked = (await walking.listCallHistory({ text }, { limit: 100 })).rows.map((r) =>
        r.callId
      );
      assert.deepEqual(walked, fetched, text);
    }
  },
);

/** The pages walked from the first by `older`, then back by `newer`. */
async function walk(store: Store, limit: number) {
  const forward: string[][] = [];
  let after: HistoryCursor | undefined;
  let page = await store.listCallHistory({}, { limit });
  assert.equal(page.newer, null, "the first page has no newer page");
  for (let i = 0; i < 50; i++) {
    forward.push(page.rows.map((r) => r.callId));
    if (page.older === null) break;
    after = page.older;
    page = await store.listCallHistory({}, { limit, after });
  }
  const backward: string[][] = [forward.at(-1)!];
  for (let i = 0; i < 50 && page.newer !== null; i++) {
    page = await store.listCallHistory({}, { limit, before: page.newer });
    backward.unshift(page.rows.map((r) => r.callId));
  }
  return { forward, backward };
}

bothBackends(
  "keyset pages: ties and microseconds neither skip nor repeat a call, Previous retraces Next",
  async (store, db) => {
    // 23 calls, many sharing a second and some only a microsecond apart.
    const calls: Seed[] = Array.from({ length: 23 }, (_, i) => ({
      id: `call-${String(i).padStart(2, "0")}`,
      at: Math.floor(i / 4),
      micros: i % 4 === 3 ? 1 : 0,
    }));
    await seed(store, db, calls);
    const expected = calls.map((c) => c.id).sort((x, y) => {
      const [cx, cy] = [calls.find((c) => c.id === x)!, calls.find((c) => c.id === y)!];
      return (cy.at * 1e6 + (cy.micros ?? 0)) - (cx.at * 1e6 + (cx.micros ?? 0)) ||
        (x < y ? 1 : -1);
    });
    const { forward, backward } = await walk(store, 5);
    assert.deepEqual(forward.map((p) => p.length), [5, 5, 5, 5, 3]);
    assert.deepEqual(forward.flat(), expected);
    assert.deepEqual(backward, forward);

    // A call arriving while someone pages shifts nothing already listed.
    const first = await store.listCallHistory({}, { limit: 5 });
    await seed(store, db, [{ id: "late", at: 100 }]);
    const second = await store.listCallHistory({}, { limit: 5, after: first.older! });
    assert.deepEqual(second.rows.map((r) => r.callId), expected.slice(5, 10));
    const back = await store.listCallHistory({}, { limit: 5, before: second.newer! });
    assert.deepEqual(back.rows.map((r) => r.callId), expected.slice(0, 5));
    assert.ok(back.newer !== null, "the late call is on a newer page now");

    // The export walks every call in the same order, batch by batch.
    const batches: string[][] = [];
    for await (const rows of store.iterateCallHistory({}, 7)) {
      batches.push(rows.map((r) => r.callId));
    }
    assert.deepEqual(batches.map((b) => b.length), [7, 7, 7, 3]);
    assert.deepEqual(batches.flat(), ["late", ...expected]);
  },
);

Deno.test("call history [pglite]: the migration indexes transcripts stored before it, and new lines after", async () => {
  const { openPgliteAdapter } = await import("./pglite.ts");
  const db = await openPgliteAdapter("memory://");
  const all = await loadMigrations();
  const mine = all.findIndex((m) => m.name === "call_history_search");
  assert.ok(mine > 0);
  await applyMigrations(db, all.slice(0, mine));
  const store = createStore(db, "pglite");
  try {
    // Raw SQL: the store's writes may name columns of later migrations.
    await db.query(
      `insert into public.voice_calls (call_id, created_at) values ('old', $1::timestamptz)`,
      [
        new Date(T0).toISOString(),
      ],
    );
    await db.query(
      `insert into public.voice_call_transcripts (call_id, speaker, text, started_at, ended_at)
       values ('old', 'caller', 'spoken before the upgrade', now(), now())`,
    );
    await applyMigrations(db, all);
    await seed(store, db, [{ id: "new", at: 10, said: ["spoken after the upgrade"] }]);
    assert.deepEqual(await ids(store, { text: "upgrade" }), ["new", "old"]);
    assert.deepEqual(await ids(store, { text: "before" }), ["old"]);
  } finally {
    await store.close();
  }
});

bothBackends(
  "test calls: listed by default and marked, left out or alone on request; caller identity rows",
  async (store, db) => {
    await seed(store, db, [{ id: "real", at: 0 }, { id: "test-1", at: 60 }]);
    await store.upsertCall({ callId: "test-1", testCall: true, profileName: "op@example.com" });
    await store.upsertCall({
      callId: "real",
      fromUserId: "US.13491208655302741918",
      username: "ada.l",
    });
    assert.deepEqual(await ids(store, {}), ["test-1", "real"]);
    assert.deepEqual(await ids(store, { testCalls: "include" }), ["test-1", "real"]);
    assert.deepEqual(await ids(store, { testCalls: "exclude" }), ["real"]);
    assert.deepEqual(await ids(store, { testCalls: "only" }), ["test-1"]);
    const rows = (await store.listCallHistory({}, { limit: 10 })).rows;
    assert.deepEqual(
      rows.map((r) => [r.callId, r.testCall, r.profileName, r.fromUserId, r.username]),
      [
        ["test-1", true, "op@example.com", null, null],
        ["real", false, null, "US.13491208655302741918", "ada.l"],
      ],
    );
  },
);
