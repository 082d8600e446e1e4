import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { startTestConsole } from "../server/test_utils.ts";
import type { ConsoleEnv } from "../server/context.ts";
import { addDays, dayIn, resolveQuery } from "./analytics.ts";

const NOW = new Date("2026-12-07T10:00:00Z");

async function seed(store: Store): Promise<void> {
  const calls = [
    ["wacid.an1", "2026-12-06T09:00:00Z", "completed", 0.25, 640, 1200],
    ["wacid.an2", "2026-12-06T11:00:00Z", "rejected", null, null, null],
    ["wacid.an3", "2026-12-07T08:00:00Z", "completed", 0.5, 820, 1500],
  ] as const;
  for (const [callId, offered, status, cost, p50, p95] of calls) {
    const offeredAt = new Date(offered);
    await store.upsertCall({
      callId,
      status,
      direction: "user_initiated",
      fromNumber: "+447700900123",
      toNumber: "+16315553602",
      phoneNumberId: "106540352242922",
      offeredAt,
      acceptedAt: status === "completed" ? new Date(offeredAt.getTime() + 1000) : undefined,
      durationSeconds: status === "completed" ? 90 : undefined,
      endReason: status === "completed" ? "caller_hung_up" : "meta_rejected",
    });
    if (cost !== null) {
      await store.saveFigures({
        callId,
        costUsd: cost,
        cost: {},
        turnCount: 3,
        turnP50Ms: p50,
        turnP95Ms: p95,
        webhookToAcceptMs: null,
        acceptToFirstAudioMs: null,
        latency: {},
      });
    }
  }
  // A "Talk to your agent" session on the same day: answered and priced, yet no traffic.
  await store.upsertCall({
    callId: "test-analytics-page",
    status: "completed",
    direction: "user_initiated",
    toNumber: "+16315553602",
    phoneNumberId: "106540352242922",
    offeredAt: new Date("2026-12-06T10:00:00Z"),
    acceptedAt: new Date("2026-12-06T10:00:01Z"),
    durationSeconds: 600,
    testCall: true,
  });
  await store.saveFigures({
    callId: "test-analytics-page",
    costUsd: 7,
    cost: {},
    turnCount: 1,
    turnP50Ms: 1,
    turnP95Ms: 1,
    webhookToAcceptMs: null,
    acceptToFirstAudioMs: null,
    latency: {},
  });
}

Deno.test("analytics page: tables carry every figure, charts are named, numbers masked for viewers", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const console = await startTestConsole({ store, now: () => NOW });
  try {
    await seed(store);
    const res = await console.fetch("/analytics?from=2026-12-01&to=2026-12-07&tz=UTC", {
      role: "viewer",
    });
    assert.equal(res.status, 200);
    const page = await res.text();
    for (const id of ["an-days", "an-numbers", "an-outcomes", "an-end-reasons"]) {
      assert.match(page, new RegExp(`<table id="${id}">\\s*<caption>`), id);
    }
    assert.equal(
      page.match(/<tr data-day="/g)?.length,
      7,
      "every day of the range, quiet ones too",
    );
    // 2026-12-06: two calls, one answered, one rejected, $0.25, p50 640 ms.
    const day = page.match(/<tr data-day="2026-12-06">([\s\S]*?)<\/tr>/)?.[1] ?? "";
    assert.match(day, /data-col="calls" data-v="2">2</);
    assert.match(day, /data-col="answered" data-v="1">1</);
    assert.match(day, /data-col="rejected" data-v="1">1</);
    assert.match(day, /data-col="avgDurationSeconds" data-v="90">1:30</);
    assert.match(day, /data-col="turnP50Ms" data-v="640">640 ms</);
    assert.match(day, /data-col="costUsd" data-v="0.25">\$0.25</);
    const total = page.match(/<tfoot>([\s\S]*?)<\/tfoot>/)?.[1] ?? "";
    assert.match(total, /data-col="calls" data-v="3">3</);
    assert.match(total, /data-col="costUsd" data-v="0.75">\$0.75</);
    assert.match(page, /Test calls from Talk to your agent are not counted/);
    // Three charts, each named for assistive technology and pointing at the table.
    assert.equal(page.match(/class="an-plot" data-chart="[^"]+"\s+data-label="[^"]+"/g)?.length, 3);
    assert.match(page, /<script type="module" src="\/static\/analytics\.js">/);
    assert.match(page, /href="\/static\/vendor\/uPlot\.min\.css"/);
    assert.ok(!/ style=|<script>|<script type="text\/javascript">| on[a-z]+="/.test(page));
    assert.match(page, /<th scope="row">caller_hung_up<\/th>\s*<td class="num" data-v="2">2</);
    // The business's number: masked for a viewer, whole for an operator.
    assert.ok(page.includes("+1631•••3602") && !page.includes("16315553602"), "masked");
    const operator = await (await console.fetch("/analytics?from=2026-12-01&to=2026-12-07", {
      role: "operator",
    })).text();
    assert.ok(operator.includes("+16315553602"), "whole for operators");
  } finally {
    await console.close();
    await store.close();
  }
});

Deno.test("analytics page: defaults to the last 30 days in UTC; a bad query is a 400 with the form", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  const console = await startTestConsole({ store, now: () => NOW });
  try {
    const page = await (await console.fetch("/analytics", { role: "viewer" })).text();
    assert.match(page, /id="an-from" name="from" type="date" value="2026-11-08"/);
    assert.match(page, /id="an-to" name="to" type="date" value="2026-12-07"/);
    assert.equal(page.match(/<tr data-day="/g)?.length, 30);
    for (
      const [query, message] of [
        ["tz=Nowhere%2FAtlantis", "Time zone: an unknown time zone"],
        ["from=2026-12-08&to=2026-12-01", "before it starts"],
        ["from=2025-01-01&to=2026-12-01", "at most 366"],
        ["from=yesterday", "From: a day as YYYY-MM-DD"],
        ["number=abc", "Number: a phone_number_id (digits)"],
      ] as const
    ) {
      const res = await console.fetch(`/analytics?${query}`, { role: "viewer" });
      assert.equal(res.status, 400, query);
      const body = await res.text();
      assert.match(body, /role="alert"/, query);
      assert.ok(body.includes(message), `${query}: ${message}`);
      assert.match(body, /<form class="filters"/);
      assert.ok(!body.includes('id="an-days"'), "no figures for a bad query");
    }
    assert.equal((await console.fetch("/analytics")).status === 200, false, "sign-in needed");
  } finally {
    await console.close();
    await store.close();
  }
});

Deno.test("analytics query: today and the default range follow the time zone", () => {
  // 2026-12-07T10:00Z is already the 8th in Auckland (UTC+13) and still the 7th in Honolulu.
  assert.equal(dayIn(NOW, "Pacific/Auckland"), "2026-12-07");
  assert.equal(dayIn(new Date("2026-12-07T12:00:00Z"), "Pacific/Auckland"), "2026-12-08");
  assert.equal(dayIn(new Date("2026-12-07T09:00:00Z"), "Pacific/Honolulu"), "2026-12-06");
  const r = resolveQuery(
    { tz: "Pacific/Auckland", from: "", number: "" },
    new Date("2026-12-07T12:00:00Z"),
  );
  assert.deepEqual(r, {
    ok: true,
    form: {
      from: addDays("2026-12-08", -29),
      to: "2026-12-08",
      tz: "Pacific/Auckland",
      number: "",
    },
  });
});

Deno.test("analytics page: a zone the database does not know is a 400, other failures are not hidden", async () => {
  const { Hono } = await import("hono");
  const { analyticsRoutes } = await import("./analytics.ts");
  let failure = new Error('time zone "America/Ciudad_Juarez" not recognized');
  const store = {
    analyticsNumbers: () => Promise.resolve([]),
    callAnalytics: () => Promise.reject(failure),
  } as unknown as Store;
  const app = new Hono<ConsoleEnv>();
  app.use("*", async (c, next) => {
    c.set("user", { id: "u1", email: null, role: "viewer" });
    c.set("csrfToken", "t");
    await next();
  });
  app.route("/", analyticsRoutes({ store, now: () => NOW }));
  const res = await app.request("/analytics?tz=America/Ciudad_Juarez");
  assert.equal(res.status, 400);
  assert.match(await res.text(), /the database does not know America\/Ciudad_Juarez/);
  failure = new Error("connection refused");
  app.onError((error, c) => c.text(String(error), 500));
  const broken = await app.request("/analytics");
  assert.equal(broken.status, 500);
});
