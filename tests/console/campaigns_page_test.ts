/**
 * Campaigns in Debian's Chromium: an operator uploads a CSV through the file
 * input with a calling window, lands on the campaign with its recipients,
 * pauses and resumes it with the buttons; a viewer sees the same campaign
 * with masked numbers. No page JavaScript errors, no serious or critical
 * axe-core violations on any step.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import type { ElementHandle } from "puppeteer-core";
import { openStore } from "../../store/open.ts";
import { maskPhone } from "../../lib/whatsapp/mask.ts";
import { startTestConsole } from "../../console/server/test_utils.ts";
import { axeViolations, browserTest, launchBrowser, openPage, signIn } from "./browser.ts";

async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ timeout: 15_000 }), page.click(selector)]);
}

async function noSeriousViolations(page: Page, step: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${step}: ${JSON.stringify(violations)}`);
}

Deno.test({
  ...browserTest("campaigns page (Chromium): upload a CSV, pause and resume, viewer masked"),
  fn: async () => {
    const store = await openStore({ pgliteDir: "memory://" });
    const tc = await startTestConsole({ store });
    const browser = await launchBrowser();
    const dir = await Deno.makeTempDir();
    try {
      const csv = join(dir, "list.csv");
      await Deno.writeTextFile(csv, "user,name\n447700900011,Zelda\n447700900012,Bo\n");
      const { page, errors } = await openPage(browser);
      await signIn(page, tc, "operator");
      await page.goto(`${tc.url}/campaigns`);
      await noSeriousViolations(page, "empty list");
      await page.type("#c-name", "Reminders");
      await page.$eval("#c-number", (el) => ((el as HTMLInputElement).value = "106540352242922"));
      const file = await page.$("#c-csv") as ElementHandle<HTMLInputElement>;
      await file.uploadFile(csv);
      await page.click("#d-mon");
      await page.click("#d-fri");
      await page.$eval("#c-tz", (el) => ((el as HTMLInputElement).value = "Europe/Madrid"));
      await submit(page, 'form[action="/campaigns"] button[type="submit"]');
      assert.match(page.url(), /\/campaigns\/\d+\?created=created$/);
      assert.equal(await page.$eval("#campaign-status", (el) => el.textContent), "active");
      const body = await page.content();
      assert.ok(body.includes("447700900011") && body.includes("name=Zelda"));
      assert.match(body, /mon 09:00–18:00; fri 09:00–18:00 \(Europe\/Madrid\)/);
      await noSeriousViolations(page, "campaign");
      await submit(page, 'form[action$="/pause"] button');
      assert.equal(await page.$eval("#campaign-status", (el) => el.textContent), "paused");
      await submit(page, 'form[action$="/resume"] button');
      assert.equal(await page.$eval("#campaign-status", (el) => el.textContent), "active");
      const campaignUrl = page.url().replace(/\?.*$/, "");
      await page.goto(`${tc.url}/campaigns`);
      await noSeriousViolations(page, "list");

      const viewerContext = await browser.createBrowserContext();
      const viewer = await viewerContext.newPage();
      await signIn(viewer, tc, "viewer");
      await viewer.goto(campaignUrl);
      const viewerHtml = await viewer.content();
      assert.ok(viewerHtml.includes(maskPhone("447700900011")));
      assert.ok(!viewerHtml.includes("447700900011") && !viewerHtml.includes("Zelda"));
      await noSeriousViolations(viewer, "viewer");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await tc.close();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
