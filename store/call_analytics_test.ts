import assert from "node:assert/strict";
import { type CallStatus, createStore, type Store } from "./store.ts";
import type { SqlAdapter } from "./adapter.ts";
import { applyMigrations, loadMigrations } from "./migrate.ts";
import { testOnBothBackends } from "./backends_test_utils.ts";
import type { AnalyticsFigures } from "./call_analytics.ts";
import { localDays, MAX_ANALYTICS_DAYS } from "./call_analytics.ts";
import { openStore } from "./open.ts";
import postgres from "postgres";
import { postgresAvailable, withTestDatabase } from "../tests/support/postgres.ts";

const N1 = "100000000000001";
const N2 = "100000000000002";

interface HandCall {
  id: string;
  offered: string;
  number?: string;
  status: CallStatus;
  accepted?: boolean;
  durationSeconds?: number;
  endedAfterSeconds?: number;
  endReason?: string;
  figures?: [costUsd: number, p50: number, p95: number];
  outcome?: string | null;
}

// Asia/Kolkata is UTC+05:30: its 2026-03-01 is [02-28T18:30Z, 03-01T18:30Z).
const CALLS: HandCall[] = [
  { id: "a", offered: "2026-02-28T18:29:59Z", number: N1, status: "completed", accepted: true },
  {
    id: "b",
    offered: "2026-02-28T18:30:00Z",
    number: N1,
    status: "completed",
    accepted: true,
    durationSeconds: 60,
    endReason: "caller_hung_up",
    figures: [0.1, 500, 900],
    outcome: "resolved",
  },
  {
    id: "c",
    offered: "2026-03-01T12:00:00Z",
    number: N1,
    status: "completed",
    accepted: true,
    durationSeconds: 120,
    endReason: "agent_ended",
    figures: [0.2, 700, 1100],
    outcome: "resolved",
  },
  {
    id: "d",
    offered: "2026-03-01T18:29:59Z",
    number: N2,
    status: "rejected",
    endReason: "meta_rejected",
  },
  // Failed after it was answered: failed, not answered.
  {
    id: "e",
    offered: "2026-03-01T18:30:00Z",
    number: N2,
    status: "failed",
    accepted: true,
    durationSeconds: 30,
    endReason: "meta_failed",
    figures: [0.05, 600, 1500],
    outcome: "escalated",
  },
  // No duration from Meta: accept → end (45 s) stands in.
  {
    id: "f",
    offered: "2026-03-02T10:00:00Z",
    number: N1,
    status: "completed",
    accepted: true,
    endedAfterSeconds: 45,
    endReason: "caller_hung_up",
    figures: [0.01, 800, 1000],
    outcome: null,
  },
  { id: "g", offered: "2026-03-02T18:30:00Z", number: N2, status: "completed", accepted: true },
  // Missed: ended without an accept.
  {
    id: "h",
    offered: "2026-03-02T11:00:00Z",
    number: N1,
    status: "completed",
    endReason: "meta_completed",
  },
  // Still ringing, no number recorded yet.
  { id: "i", offered: "2026-03-02T12:00:00Z", status: "offered" },
];

async function seed(store: Store): Promise<void> {
  for (const call of CALLS) {
    const callId = `wacid.analytics.${call.id}`;
    const offered = new Date(call.offered);
    const accepted = call.accepted ? new Date(offered.getTime() + 1000) : null;
    const save = async () => {
      if (call.figures) {
        const [costUsd, turnP50Ms, turnP95Ms] = call.figures;
        await store.saveFigures({
          callId,
          costUsd,
          cost: {},
          turnCount: 2,
          turnP50Ms,
          turnP95Ms,
          webhookToAcceptMs: null,
          acceptToFirstAudioMs: null,
          latency: {},
        });
      }
      if (call.outcome !== undefined) {
        await store.saveAnalysis({
          callId,
          status: call.outcome === null ? "not_analysed" : "analysed",
          reason: null,
          summary: null,
          outcome: call.outcome,
          fields: null,
          model: null,
          usage: null,
          attempts: 0,
        });
      }
    };
    // Call e's figures and analysis arrive before its row: the facts still see them.
    if (call.id === "e") await save();
    // Created ringing, then moved on: the facts follow the call's updates.
    await store.upsertCall({
      callId,
      status: "offered",
      direction: "user_initiated",
      fromNumber: "+447700900123",
      toNumber: "+15550001000",
      offeredAt: offered,
    });
    await store.upsertCall({
      callId,
      status: call.status,
      phoneNumberId: call.number,
      acceptedAt: accepted ?? undefined,
      durationSeconds: call.durationSeconds,
      endReason: call.endReason,
      endedAt: accepted && call.endedAfterSeconds !== undefined
        ? new Date(accepted.getTime() + call.endedAfterSeconds * 1000)
        : undefined,
    });
    if (call.id !== "e") await save();
  }
}

function figures(f: Partial<AnalyticsFigures>): AnalyticsFigures {
  return {
    calls: 0,
    answered: 0,
    rejected: 0,
    failed: 0,
    other: 0,
    avgDurationSeconds: null,
    turnP50Ms: null,
    turnP95Ms: null,
    costUsd: 0,
    ...f,
  };
}

/** Compares with float sums and interpolations rounded to 1e-9. */
function same(actual: AnalyticsFigures, expected: AnalyticsFigures, what: string): void {
  const round = (f: AnalyticsFigures) =>
    Object.fromEntries(
      Object.entries(f).map(([k, v]) => [k, typeof v === "number" ? Math.round(v * 1e9) / 1e9 : v]),
    );
  assert.deepEqual(round(actual), round(expected), what);
}

async function kolkata(store: Store): Promise<void> {
  await seed(store);
  const a = await store.callAnalytics({
    from: "2026-03-01",
    to: "2026-03-02",
    timeZone: "Asia/Kolkata",
  });
  assert.deepEqual(a.days.map((d) => d.day), ["2026-03-01", "2026-03-02"]);
  // b (local midnight) and d (23:59:59) are in; a (a second earlier) is not.
  same(a.days[0]!, {
    day: "2026-03-01",
    ...figures({
      calls: 3,
      answered: 2,
      rejected: 1,
      avgDurationSeconds: 90,
      turnP50Ms: 600,
      turnP95Ms: 900 + 0.95 * 200,
      costUsd: 0.3,
    }),
  } as AnalyticsFigures, "2026-03-01");
  // e (local midnight of the 2nd) is in; g (midnight of the 3rd) is not.
  same(a.days[1]!, {
    day: "2026-03-02",
    ...figures({
      calls: 4,
      answered: 1,
      failed: 1,
      other: 2,
      avgDurationSeconds: 45,
      turnP50Ms: 700,
      turnP95Ms: 1000 + 0.95 * 500,
      costUsd: 0.06,
    }),
  } as AnalyticsFigures, "2026-03-02");
  same(
    a.total,
    figures({
      calls: 7,
      answered: 3,
      rejected: 1,
      failed: 1,
      other: 2,
      avgDurationSeconds: 75,
      turnP50Ms: 650,
      turnP95Ms: 1100 + 0.85 * 400,
      costUsd: 0.36,
    }),
    "total",
  );
  assert.deepEqual(a.numbers.map((n) => [n.phoneNumberId, n.businessNumber]), [
    [N1, "+15550001000"],
    [N2, "+15550001000"],
    ["", "+15550001000"],
  ]);
  const [n1, n2, none] = a.numbers;
  const { phoneNumberId: _p, businessNumber: _b, ...n1Figures } = n1!;
  same(
    n1Figures,
    figures({
      calls: 4,
      answered: 3,
      other: 1,
      avgDurationSeconds: 75,
      turnP50Ms: 700,
      turnP95Ms: 1000 + 0.9 * 100,
      costUsd: 0.31,
    }),
    "N1",
  );
  assert.deepEqual([n2?.calls, n2?.rejected, n2?.failed, n2?.avgDurationSeconds], [2, 1, 1, null]);
  assert.deepEqual([n2?.turnP50Ms, n2?.turnP95Ms, n2?.costUsd], [600, 1500, 0.05]);
  assert.deepEqual([none?.calls, none?.other, none?.turnP50Ms, none?.costUsd], [1, 1, null, 0]);
  assert.deepEqual(a.outcomes, [
    { label: null, calls: 4 },
    { label: "resolved", calls: 2 },
    { label: "escalated", calls: 1 },
  ]);
  assert.deepEqual(a.endReasons, [
    { label: "caller_hung_up", calls: 2 },
    { label: "agent_ended", calls: 1 },
    { label: "meta_completed", calls: 1 },
    { label: "meta_failed", calls: 1 },
    { label: "meta_rejected", calls: 1 },
    { label: null, calls: 1 },
  ]);
  assert.deepEqual(await store.analyticsNumbers(), ["", N1, N2]);
}

async function utcAndFilter(store: Store): Promise<void> {
  await seed(store);
  // The same instants, UTC days: c, d and e fall on 03-01; b (02-28T18:30Z) does not.
  const utc = await store.callAnalytics({ from: "2026-03-01", to: "2026-03-01", timeZone: "UTC" });
  assert.deepEqual(
    [utc.total.calls, utc.total.answered, utc.total.rejected, utc.total.failed],
    [3, 1, 1, 1],
  );
  // One number: only its calls, every day of the range listed (a quiet day as zeros).
  const n2 = await store.callAnalytics({
    from: "2026-02-28",
    to: "2026-03-02",
    timeZone: "Asia/Kolkata",
    phoneNumberId: N2,
  });
  assert.deepEqual(n2.days.map((d) => [d.day, d.calls, d.rejected, d.failed]), [
    ["2026-02-28", 0, 0, 0],
    ["2026-03-01", 1, 1, 0],
    ["2026-03-02", 1, 0, 1],
  ]);
  assert.deepEqual(n2.numbers.map((n) => n.phoneNumberId), [N2]);
  assert.equal(n2.total.calls, 2);
  // The facts follow later changes: a figure replaced, an outcome changed, a call deleted by cascade.
  await store.saveFigures({
    callId: "wacid.analytics.e",
    costUsd: 1.5,
    cost: {},
    turnCount: 1,
    turnP50Ms: 100,
    turnP95Ms: 200,
    webhookToAcceptMs: null,
    acceptToFirstAudioMs: null,
    latency: {},
  });
  const after = await store.callAnalytics({
    from: "2026-03-02",
    to: "2026-03-02",
    timeZone: "Asia/Kolkata",
    phoneNumberId: N2,
  });
  assert.deepEqual([after.total.costUsd, after.total.turnP50Ms, after.total.turnP95Ms], [
    1.5,
    100,
    200,
  ]);
  await assert.rejects(
    store.callAnalytics({ from: "2026-03-01", to: "2026-03-01", timeZone: "Nowhere/Atlantis" }),
    /time zone/,
  );
}

testOnBothBackends(
  "call analytics",
  "per day and number in Asia/Kolkata: counts, talk time, percentiles, cost, labels",
  kolkata,
);
testOnBothBackends(
  "call analytics",
  "UTC day boundaries, one number's days with zeros, facts follow later writes",
  utcAndFilter,
);

Deno.test("localDays: every day inclusive, across a month end and a leap day", () => {
  assert.deepEqual(localDays("2028-02-28", "2028-03-01"), [
    "2028-02-28",
    "2028-02-29",
    "2028-03-01",
  ]);
  assert.deepEqual(localDays("2026-03-29", "2026-03-29"), ["2026-03-29"]);
  assert.equal(localDays("2026-01-01", "2026-12-31").length, 365);
});

Deno.test("localDays: refuses reversed, malformed, impossible and over-long ranges", () => {
  assert.throws(() => localDays("2026-03-02", "2026-03-01"), /before it starts/);
  assert.throws(() => localDays("2026-3-1", "2026-03-02"), /not a day/);
  assert.throws(() => localDays("2026-02-30", "2026-03-02"), /no such day/);
  assert.throws(
    () => localDays("2025-01-01", "2026-03-02"),
    new RegExp(`at most ${MAX_ANALYTICS_DAYS}`),
  );
});

Deno.test({
  name: `call analytics [postgres]: a call's update racing its figures keeps both${
    postgresAvailable() ? "" : " (ignored: no PostgreSQL or DATABASE_URL)"
  }`,
  ignore: !postgresAvailable(),
  fn: () =>
    withTestDatabase(async (db) => {
      const store = await openStore({ url: db.url, migrate: true });
      const a = postgres(db.url, { max: 1, onnotice: () => {} });
      const b = postgres(db.url, { max: 1, onnotice: () => {} });
      try {
        await store.upsertCall({ callId: "wacid.race", status: "completed", phoneNumberId: N1 });
        // The figures settle in a transaction still open when the terminate updates the call.
        const settling = await a.reserve();
        await settling.unsafe("begin");
        await settling.unsafe(
          `insert into public.voice_call_figures (call_id, cost_usd, cost, turn_count, latency)
           values ('wacid.race', 0.5, '{}', 0, '{}')`,
        );
        const terminate = b.unsafe(
          "update public.voice_calls set end_reason = 'meta_completed' where call_id = 'wacid.race'",
        ).execute(); // postgres.js sends a query when awaited: now, while the settle is open
        let done = false;
        terminate.then(() => done = true, () => {});
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(done, false, "the update waits for the settle");
        await settling.unsafe("commit");
        settling.release();
        await terminate;
        const [facts] = await a.unsafe<{ cost_usd: number; end_reason: string }[]>(
          "select cost_usd, end_reason from public.voice_call_facts where call_id = 'wacid.race'",
        );
        assert.deepEqual({ ...facts }, { cost_usd: 0.5, end_reason: "meta_completed" });
      } finally {
        await a.end();
        await b.end();
        await store.close();
      }
    }),
});

/** Like testOnBothBackends, with the adapter too (for the bulk rebuild the store does not offer). */
function withAdapter(what: string, check: (store: Store, db: SqlAdapter) => Promise<void>): void {
  const run = async (db: SqlAdapter, backend: Store["backend"]) => {
    await applyMigrations(db, await loadMigrations());
    const store = createStore(db, backend);
    try {
      await check(store, db);
    } finally {
      await store.close();
    }
  };
  Deno.test(`call analytics [pglite]: ${what}`, async () => {
    const { openPgliteAdapter } = await import("./pglite.ts");
    await run(await openPgliteAdapter("memory://"), "pglite");
  });
  const missing = postgresAvailable() ? "" : " (ignored: no PostgreSQL or DATABASE_URL)";
  Deno.test({
    name: `call analytics [postgres]: ${what}${missing}`,
    ignore: missing !== "",
    fn: () =>
      withTestDatabase(async ({ url }) => {
        const { openPostgresAdapter } = await import("./postgres.ts");
        await run(openPostgresAdapter(url, { maxConnections: 2 }), "postgres");
      }),
  });
}

withAdapter(
  "test calls count nowhere: not as calls, answered, cost, outcome or number; rebuild too",
  async (store, db) => {
    await seed(store);
    const range = { from: "2026-03-01", to: "2026-03-02", timeZone: "Asia/Kolkata" };
    const before = await store.callAnalytics(range);
    // A "Talk to your agent" session: answered, priced, analysed, on a number of its own.
    const callId = "test-analytics";
    await store.upsertCall({
      callId,
      status: "completed",
      direction: "user_initiated",
      phoneNumberId: "100000000000009",
      offeredAt: new Date("2026-03-01T12:00:00Z"),
      acceptedAt: new Date("2026-03-01T12:00:01Z"),
      durationSeconds: 30,
      endReason: "caller_hung_up",
      testCall: true,
    });
    await store.saveFigures({
      callId,
      costUsd: 9,
      cost: {},
      turnCount: 1,
      turnP50Ms: 5,
      turnP95Ms: 5,
      webhookToAcceptMs: null,
      acceptToFirstAudioMs: null,
      latency: {},
    });
    await store.saveAnalysis({
      callId,
      status: "analysed",
      reason: null,
      summary: null,
      outcome: "tried the agent",
      fields: null,
      model: null,
      usage: null,
      attempts: 0,
    });
    assert.deepEqual(await store.callAnalytics(range), before, "after the triggers");
    assert.deepEqual(await store.analyticsNumbers(), ["", N1, N2]);
    // The bulk rebuild (the benchmark's seed) leaves it out as well.
    await db.query("select public.voice_call_facts_rebuild()");
    assert.deepEqual(await store.callAnalytics(range), before, "after a rebuild");
  },
);
