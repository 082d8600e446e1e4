/**
 * The Live page in Chromium against the whole stack as a real process
 * (`cli/dev.ts`: functions, bridge with the OpenAI agent against the fake
 * Realtime service) over a real PostgreSQL: a simulated WhatsApp call shows
 * up while the page is open, with its levels moving and its transcript as it
 * is spoken, and an operator ends it from the page. The console runs in this
 * process over its own connection, so everything it shows crossed
 * PostgreSQL's NOTIFY from another process.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { sine } from "../../lib/audio/tone.ts";
import { FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { startStack } from "../e2e/stack.ts";
import { postgresAvailable, startPostgres } from "../support/postgres.ts";
import { openStore } from "../../store/open.ts";
import { startTestConsole } from "../../console/server/test_utils.ts";
import { axeViolations, browserTest, launchBrowser, openPage, signIn } from "./browser.ts";

const GREETING = "Hello, thanks for calling the live desk, how can I help you today?";
const CALLER_SAYS = "I would like to check my order.";

/** Agent and caller meter values of the first row, or null without a row. */
function readRow(page: Page) {
  return page.evaluate(() => {
    const row = document.querySelector("#live-calls tbody tr[data-call-id]");
    if (!row) return null;
    const meter = (side: string) =>
      (row.querySelector(`meter[data-level="${side}"]`) as HTMLMeterElement).value;
    return {
      callId: (row as HTMLElement).dataset.callId ?? "",
      caller: meter("caller"),
      agent: meter("agent"),
      state: row.querySelector('[data-cell="state"]')?.textContent ?? "",
      duration: row.querySelector('[data-cell="duration"]')?.textContent ?? "",
      lines: [...row.querySelectorAll("ol.live-lines li")].map((li) => li.textContent ?? ""),
    };
  });
}

const test = browserTest(
  "live page: a real call appears with levels and transcript, and an operator ends it",
);
Deno.test({
  ...test,
  name: postgresAvailable() ? test.name : `${test.name} (ignored: no PostgreSQL)`,
  ignore: test.ignore || !postgresAvailable(),
  async fn() {
    const pg = (await startPostgres())!;
    const db = await pg.createDatabase();
    const fake = FakeRealtimeServer.start({
      apiKey: "sk-live",
      transcripts: [CALLER_SAYS],
      responses: [
        { kind: "audio", transcript: GREETING, toneHz: 700, durationMs: 3000 },
        { kind: "audio", transcript: "Your order ships tomorrow.", toneHz: 1100, durationMs: 4000 },
      ],
      // Real time: the words arrive as the audio plays, so the page sees them being spoken.
      speed: 1,
    });
    const stack = await startStack({
      database: "pglite",
      env: {
        DATABASE_URL: db.url,
        STORE_MIGRATE: "true",
        OPENAI_API_KEY: fake.apiKey,
        OPENAI_REALTIME_URL: fake.url,
      },
    });
    const store = await openStore({ url: db.url, maxConnections: 3 });
    const testConsole = await startTestConsole({ store });
    const browser = await launchBrowser();
    let call: ReturnType<typeof stack.call> | undefined;
    try {
      const { page, errors } = await openPage(browser);
      await signIn(page, testConsole, "operator");
      await page.goto(`${testConsole.url}/live`);
      await page.waitForFunction(
        () => document.getElementById("live-status")?.textContent?.includes("Updating live"),
        { timeout: 10_000 },
      );
      assert.ok(await page.$eval("#live-empty", (e) => !(e as HTMLElement).hidden));

      call = stack.call({
        speech: sine(440, 24000, 24000, 8000),
        speakAfterMs: 3500,
        listenMs: 9_000,
      });
      call.catch(() => {});

      // The call appears, then its levels move and its words show as they are spoken.
      await page.waitForSelector("#live-calls tbody tr[data-call-id]", { timeout: 15_000 });
      const agentLevels = new Set<number>();
      const callerLevels = new Set<number>();
      const seenLines = new Set<string>();
      let partialSeen = false;
      const deadline = Date.now() + 15_000;
      for (; Date.now() < deadline;) {
        const row = await readRow(page);
        if (row === null) break;
        agentLevels.add(row.agent);
        callerLevels.add(row.caller);
        for (const l of row.lines) seenLines.add(l);
        partialSeen ||= await page.$("ol.live-lines li.partial") !== null;
        const heardCaller = row.lines.some((l) => l.includes(CALLER_SAYS));
        if (heardCaller && Math.max(...callerLevels) > -40 && agentLevels.size >= 3) break;
        await new Promise((r) => setTimeout(r, 150));
      }
      const row = (await readRow(page))!;
      assert.ok(row !== null, "the call is still listed");
      assert.equal(row.state, "active");
      assert.match(row.duration, /^\d+:\d\d$/);
      assert.ok(
        agentLevels.size >= 3 && Math.max(...agentLevels) > -30,
        `agent levels ${[...agentLevels]}`,
      );
      assert.ok(Math.max(...callerLevels) > -40, `caller levels ${[...callerLevels]}`);
      const lines = [...seenLines];
      assert.ok(lines.some((l) => l === `Agent: ${GREETING}`), lines.join(" | "));
      assert.ok(lines.some((l) => l === `Caller: ${CALLER_SAYS}`), lines.join(" | "));
      assert.ok(partialSeen, "words were shown while still being spoken");
      const caller = await page.$eval('[data-cell="caller"] a', (a) => a.textContent);
      assert.equal(caller, "1631•••3602");
      assert.deepEqual(await axeViolations(page), []);

      // The operator ends it: a confirmation, then the row goes.
      await page.click("button[data-end-call]");
      await page.waitForSelector("#end-dialog[open]");
      assert.deepEqual(await axeViolations(page), []);
      await page.click('#end-dialog button[value="confirm"]');
      await page.waitForFunction(
        () => document.querySelector("#live-calls tbody tr[data-call-id]") === null,
        { timeout: 10_000 },
      );
      assert.match(await page.$eval("#live-status", (e) => e.textContent ?? ""), /ended/);
      assert.deepEqual(errors, []);

      // Ended at the bridge as an operator's hang-up: at Meta, in the records, audited.
      const callId = row.callId;
      let record = await store.getCall(callId);
      for (let i = 0; i < 100 && record?.endReason !== "operator_ended"; i++) {
        await new Promise((r) => setTimeout(r, 50));
        record = await store.getCall(callId);
      }
      assert.equal(record?.endReason, "operator_ended");
      const events = await store.listEvents(callId);
      assert.deepEqual(
        events.filter((e) => e.name === "operator_ended").map((e) => e.data),
        [{ actor: "user-operator" }],
      );
      assert.ok(events.some((e) => e.name === "terminate_sent"), "Meta was told");
      const [audit] = await store.listAudit({ target: callId });
      assert.equal(audit?.action, "live_call.end");
      await call;
    } finally {
      await browser.close();
      await call?.catch(() => {});
      await testConsole.close();
      await store.close();
      await stack.close();
      await fake.close();
      await db.drop();
      await pg.stop();
    }
  },
});
