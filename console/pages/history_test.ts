/**
 * History over HTTP: a real console (startTestConsole) over a migrated PGlite
 * store. Each filter narrows the list, a bad query is a 400 naming the field,
 * Next/Previous links page and keep the filters, viewers' number filter
 * matches the business's id only and every caller they see is masked (page
 * and CSV), the CSV's type and header, and test calls: badged, filterable.
 */
import assert from "node:assert/strict";
import type { SqlAdapter } from "../../store/adapter.ts";
import { applyMigrations, loadMigrations } from "../../store/migrate.ts";
import { openPgliteAdapter } from "../../store/pglite.ts";
import { type CallStatus, type CallUpsert, createStore, type Store } from "../../store/store.ts";
import { startTestConsole, type TestConsole } from "../server/test_utils.ts";
import { CSV_HEADER } from "./history_csv.ts";

const P1 = "106540352242922";
const P2 = "106540352242933";
const FILLER_PNID = "106540352242999";
const CALLER = "4915112345678";
const CALLEE = "4915187654321";
const BUSINESS = "15550009999";
const BSUID = "US.13491208655302741918";
const TEST_ID = "test-5f0c3a9e-1f7e-4c43-9f55-4a2b1e0c1d2e";
/** Every full number and id a viewer must never see. */
const SECRETS = [CALLER, CALLEE, BUSINESS, BSUID];

interface Seed {
  id: string;
  day: string;
  call: Omit<CallUpsert, "callId">;
  said?: string;
  outcome?: string;
}

const inbound = { direction: "user_initiated", toNumber: BUSINESS } as const;
const CALLS: Seed[] = [
  {
    id: "wacid.c1",
    day: "2026-12-01T10:00:00Z",
    call: { ...inbound, fromNumber: CALLER, phoneNumberId: P1, status: "completed" },
    said: "I would like a refund please",
    outcome: "resolved",
  },
  {
    id: "wacid.c2",
    day: "2026-12-02T10:00:00Z",
    call: {
      direction: "business_initiated",
      fromNumber: BUSINESS,
      toNumber: CALLEE,
      phoneNumberId: P2,
      status: "failed",
    },
  },
  {
    id: "wacid.c3",
    day: "2026-12-03T10:00:00Z",
    call: { ...inbound, fromUserId: `${BSUID}7`, username: "ada.l", phoneNumberId: P1 },
  },
  {
    id: "wacid.c5",
    day: "2026-12-03T11:00:00Z",
    call: { ...inbound, fromUserId: BSUID, phoneNumberId: P1, status: "rejected" },
  },
  {
    id: TEST_ID,
    day: "2026-12-04T10:00:00Z",
    call: {
      direction: "user_initiated",
      fromUserId: "user-operator",
      profileName: "operator@console.test",
      toNumber: BUSINESS,
      phoneNumberId: P1,
      testCall: true,
      status: "completed",
    },
  },
  // Older calls, to fill pages.
  ...Array.from({ length: 12 }, (_, i): Seed => ({
    id: `wacid.f${String(i).padStart(2, "0")}`,
    day: `2026-11-${String(10 + i).padStart(2, "0")}T10:00:00Z`,
    call: {
      ...inbound,
      fromNumber: `49151000000${String(i).padStart(2, "0")}`,
      phoneNumberId: FILLER_PNID,
    },
  })),
];

async function seed(store: Store, db: SqlAdapter): Promise<void> {
  for (const s of CALLS) {
    const status: CallStatus = s.call.status ?? "completed";
    await store.upsertCall({ ...s.call, callId: s.id, status, offeredAt: new Date(s.day) });
    await db.query(
      "update public.voice_calls set created_at = $1::timestamptz where call_id = $2",
      [
        s.day,
        s.id,
      ],
    );
    if (s.said) {
      const at = new Date(s.day);
      await store.addTranscript({
        callId: s.id,
        speaker: "caller",
        text: s.said,
        startedAt: at,
        endedAt: at,
      });
    }
    if (s.outcome) {
      await store.saveAnalysis({
        callId: s.id,
        status: "analysed",
        reason: null,
        summary: null,
        outcome: s.outcome,
        fields: null,
        model: null,
        usage: null,
        attempts: 1,
      });
    }
  }
}

/** The call ids a History page lists, in order. */
function listed(page: string): string[] {
  return [...page.matchAll(/<td class="when"><a href="\/calls\/([^"]+)">/g)].map((m) =>
    decodeURIComponent(m[1]!)
  );
}

/** A link of the page by its `rel`, unescaped. */
function link(page: string, rel: "next" | "prev"): string | null {
  const m = new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(page);
  return m ? m[1]!.replaceAll("&amp;", "&") : null;
}

const ALL_NEWEST = [TEST_ID, "wacid.c5", "wacid.c3", "wacid.c2", "wacid.c1"];

Deno.test("history routes over a real console", async (t) => {
  const db = await openPgliteAdapter("memory://");
  await applyMigrations(db, await loadMigrations());
  const store = createStore(db, "pglite");
  let console: TestConsole | undefined;
  try {
    await seed(store, db);
    console = await startTestConsole({ store });
    const c = console;
    const page = async (query: string, role: "viewer" | "operator" = "operator") => {
      const res = await c.fetch(`/calls${query}`, { role });
      return { status: res.status, body: await res.text() };
    };
    const ids = async (query: string, role: "viewer" | "operator" = "operator") => {
      const p = await page(query, role);
      assert.equal(p.status, 200, `${query}: ${p.body.slice(0, 300)}`);
      return listed(p.body);
    };

    await t.step("each filter narrows to exactly its calls", async () => {
      assert.deepEqual((await ids("?limit=100")).slice(0, 5), ALL_NEWEST);
      assert.equal((await ids("?limit=100")).length, CALLS.length);
      assert.deepEqual(await ids("?from=2026-12-02&to=2026-12-03"), [
        "wacid.c5",
        "wacid.c3",
        "wacid.c2",
      ]);
      assert.deepEqual(await ids("?from=2026-12-01&to=2026-12-01"), ["wacid.c1"]);
      assert.deepEqual(await ids(`?number=%2B${CALLER}`), ["wacid.c1"]);
      assert.deepEqual(await ids(`?number=${P2}`), ["wacid.c2"]);
      assert.deepEqual(await ids("?direction=business_initiated"), ["wacid.c2"]);
      assert.deepEqual(await ids("?status=rejected"), ["wacid.c5"]);
      assert.deepEqual(await ids("?outcome=resolved"), ["wacid.c1"]);
      assert.deepEqual(await ids("?q=refund"), ["wacid.c1"]);
      assert.deepEqual(await ids(`?number=${P1}&status=completed&from=2026-12-03`), [
        TEST_ID,
        "wacid.c3",
      ]);
      // Empty fields, as a form sends them, filter nothing.
      assert.deepEqual(
        (await ids("?from=&to=&number=&direction=&status=&outcome=&q=&tests=")).slice(0, 5),
        ALL_NEWEST,
      );
    });

    await t.step(
      "test calls: listed and badged by default, left out or alone on request",
      async () => {
        const all = await page("?from=2026-12-01");
        assert.deepEqual(listed(all.body), ALL_NEWEST);
        assert.equal(
          all.body.match(/class="badge test"/g)?.length,
          1,
          "one badge, on the test call",
        );
        assert.match(all.body, /<option value=""\s+selected\s+>Include \(marked\)<\/option>/);
        assert.match(all.body, /operator@console\.test/, "the console user who placed it");
        assert.deepEqual(await ids("?from=2026-12-01&tests=exclude"), ALL_NEWEST.slice(1));
        assert.deepEqual(await ids("?tests=only"), [TEST_ID]);
        assert.deepEqual(await ids("?tests=include&from=2026-12-01"), ALL_NEWEST);
      },
    );

    await t.step("a bad query is a 400 naming the field, page and CSV", async () => {
      const cases: [string, RegExp][] = [
        ["?from=2026-13-45", /From day: /],
        ["?from=2026-12-05&to=2026-12-01", /To day: /],
        ["?number=call-me", /Number: /],
        ["?direction=sideways", /Direction: /],
        ["?status=happy", /Status: /],
        ["?q=%21%21", /Words in the transcript: /],
        ["?tests=maybe", /Test calls: /],
        ["?after=not-a-cursor", /Page: /],
        ["?limit=5", /Rows per page: /],
      ];
      for (const [query, field] of cases) {
        const p = await page(query);
        assert.equal(p.status, 400, query);
        assert.match(p.body, field, query);
        assert.match(p.body, /role="alert"/, query);
        assert.match(p.body, /<form class="filters"/, `${query}: the form comes back`);
        const csv = await c.fetch(`/calls.csv${query}`, { role: "operator" });
        assert.equal(csv.status, 400, `csv ${query}`);
        assert.match(await csv.text(), field, `csv ${query}`);
      }
    });

    await t.step("Next and Previous links page through, keeping the filters", async () => {
      const first = await page("?tests=exclude&limit=10");
      const one = listed(first.body);
      assert.equal(one.length, 10);
      assert.equal(link(first.body, "prev"), null, "no newer page on the first");
      const next = link(first.body, "next");
      assert.ok(next, "a next link");
      assert.match(next, /tests=exclude/);
      assert.match(next, /limit=10/);
      const second = await page(next.replace(/^\/calls/, ""));
      const two = listed(second.body);
      // 16 real calls: 10, then 6, none twice, none lost, still newest first.
      assert.equal(two.length, CALLS.length - 1 - 10);
      assert.deepEqual([...one, ...two], await ids("?tests=exclude&limit=100"));
      assert.equal(link(second.body, "next"), null, "the last page");
      const prev = link(second.body, "prev");
      assert.ok(prev);
      assert.deepEqual(listed((await page(prev.replace(/^\/calls/, ""))).body), one);
    });

    await t.step(
      "viewers: number filter by phone_number_id only, every caller masked",
      async () => {
        assert.deepEqual(await ids(`?number=${CALLER}`, "viewer"), [], "no lookup by caller");
        assert.deepEqual(await ids(`?number=${BUSINESS}`, "viewer"), []);
        assert.deepEqual(await ids(`?number=${P1}`, "viewer"), [
          TEST_ID,
          "wacid.c5",
          "wacid.c3",
          "wacid.c1",
        ]);
        const p = await page("?limit=100", "viewer");
        for (const secret of SECRETS) assert.ok(!p.body.includes(secret), `page shows ${secret}`);
        assert.match(p.body, /4915•••5678/);
        assert.match(p.body, /US\.13•••18/, "a caller with only a user id, masked");
        assert.match(p.body, />ada\.l</, "a username-only caller by username");
        const csv = await (await c.fetch("/calls.csv", { role: "viewer" })).text();
        for (const secret of SECRETS) assert.ok(!csv.includes(secret), `csv shows ${secret}`);
        assert.match(csv, /US\.13•••18/);
        // Operators see them whole, on the page and in the CSV.
        const op = await page("?limit=100");
        for (const secret of [CALLER, CALLEE, BUSINESS, BSUID]) assert.ok(op.body.includes(secret));
        const opCsv = await (await c.fetch("/calls.csv", { role: "operator" })).text();
        assert.ok(opCsv.includes(`,${BSUID},`));
      },
    );

    await t.step(
      "CSV: type, header row, one record per call, test_call, filters apply",
      async () => {
        const res = await c.fetch("/calls.csv?from=2026-12-01", { role: "operator" });
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /^text\/csv; charset=utf-8/);
        assert.match(
          res.headers.get("content-disposition") ?? "",
          /attachment; filename="calls.csv"/,
        );
        const lines = (await res.text()).split("\r\n");
        assert.equal(lines[0], CSV_HEADER.join(","));
        assert.equal(lines.at(-1), "", "ends with CRLF");
        const records = lines.slice(1, -1).map((l) => l.split(","));
        const col = (name: typeof CSV_HEADER[number]) => CSV_HEADER.indexOf(name);
        assert.deepEqual(records.map((r) => r[col("call_id")]), ALL_NEWEST);
        assert.deepEqual(records.map((r) => r[col("test_call")]), [
          "true",
          "false",
          "false",
          "false",
          "false",
        ]);
        assert.deepEqual(records.map((r) => r[col("from")]), [
          "operator@console.test",
          BSUID,
          "ada.l",
          BUSINESS,
          CALLER,
        ]);
        const only =
          await (await c.fetch("/calls.csv?tests=exclude&from=2026-12-01", { role: "operator" }))
            .text();
        assert.ok(!only.includes(TEST_ID));
        assert.equal(only.split("\r\n").length, 2 + 4);
        const anonymous = await c.fetch("/calls.csv");
        assert.ok([401, 302].includes(anonymous.status), `anonymous: ${anonymous.status}`);
        await anonymous.body?.cancel();
      },
    );
  } finally {
    await console?.close();
    await store.close();
  }
});
