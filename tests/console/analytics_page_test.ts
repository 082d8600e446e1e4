/**
 * The analytics page in Debian's Chromium: uPlot (served by the console from
 * the npm package) draws the three charts from the "By day" table, each
 * canvas has an accessible name, the page shows no JavaScript error or CSP
 * violation, and axe-core finds no serious or critical violation, for a
 * viewer (numbers masked) as for an operator.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { startTestConsole } from "../../console/server/test_utils.ts";
import { axeViolations, browserTest, launchBrowser, openPage, signIn } from "./browser.ts";

const NOW = new Date("2026-12-07T10:00:00Z");

async function seed(store: Store): Promise<void> {
  for (let i = 0; i < 12; i++) {
    const callId = `wacid.anpage.${i}`;
    const offeredAt = new Date(NOW.getTime() - (i % 6) * 86_400_000 - 3_600_000);
    const answered = i % 4 !== 3;
    await store.upsertCall({
      callId,
      status: answered ? "completed" : "rejected",
      direction: "user_initiated",
      fromNumber: "+447700900123",
      toNumber: "+16315553602",
      phoneNumberId: i % 2 === 0 ? "106540352242922" : "106540352242923",
      offeredAt,
      acceptedAt: answered ? new Date(offeredAt.getTime() + 1000) : undefined,
      durationSeconds: answered ? 30 + i * 10 : undefined,
      endReason: answered ? "caller_hung_up" : "meta_rejected",
    });
    if (!answered) continue;
    await store.saveFigures({
      callId,
      costUsd: 0.05 * (i + 1),
      cost: {},
      turnCount: 3,
      turnP50Ms: 600 + i * 20,
      turnP95Ms: 1100 + i * 40,
      webhookToAcceptMs: null,
      acceptToFirstAudioMs: null,
      latency: {},
    });
  }
}

/** Whether the canvas has any non-transparent pixel: uPlot drew on it. */
function painted(page: Page, chartId: string): Promise<boolean> {
  return page.$eval(`#${chartId} canvas`, (el) => {
    const canvas = el as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    return false;
  });
}

Deno.test({
  ...browserTest("analytics page: charts drawn and named, no JS errors, no serious axe violations"),
  async fn() {
    const store = await openStore({ pgliteDir: "memory://" });
    const console = await startTestConsole({ store, now: () => NOW });
    const browser = await launchBrowser();
    try {
      await seed(store);
      for (const role of ["viewer", "operator"] as const) {
        const { page, errors } = await openPage(browser);
        await signIn(page, console, role);
        await page.goto(`${console.url}/analytics?from=2026-12-01&to=2026-12-07&tz=Europe/London`, {
          waitUntil: "networkidle0",
        });
        await page.waitForSelector('#an-chart-cost[data-drawn="true"]', { timeout: 10_000 });
        for (const id of ["an-chart-calls", "an-chart-latency", "an-chart-cost"]) {
          const label = await page.$eval(
            `#${id} canvas`,
            (c) => [c.getAttribute("role"), c.getAttribute("aria-label")],
          );
          assert.equal(label[0], "img", id);
          assert.match(label[1] ?? "", /per day: /, id);
          assert.ok(await painted(page, id), `${id} is drawn`);
        }
        // The table is still there, and the charts read from it: 7 days, 12 calls.
        assert.equal(await page.$$eval("#an-days tbody tr", (rows) => rows.length), 7);
        assert.equal(
          await page.$eval("#an-days tfoot td[data-col=calls]", (td) => td.textContent),
          "12",
        );
        const business = await page.$eval("#an-numbers tbody td", (td) => td.textContent);
        assert.equal(business, role === "viewer" ? "+1631•••3602" : "+16315553602");
        assert.deepEqual(await axeViolations(page), [], role);
        assert.deepEqual(errors, [], role);
        await page.close();
      }
    } finally {
      await browser.close();
      await console.close();
      await store.close();
    }
  },
});
