/**
 * "Call a customer" in Debian's Chromium against the real stack (functions,
 * bridge with the echo agent, the fake Meta playing the user's phone): a
 * signed-in operator looks a user up, sends a template permission request,
 * the user allows calls, the page says a call is allowed, the operator
 * places a call with a purpose, the phone rings, answers, hears the agent's
 * greeting first and hangs up; the result links to the call's page. No page
 * JavaScript errors, no serious or critical axe-core violations on any step,
 * and the viewer's page holds no whole number.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { maskPhone } from "../../lib/whatsapp/mask.ts";
import { axeViolations, browserTest, launchBrowser, openPage, signIn } from "./browser.ts";
import { BUSINESS_ID, newCustomer, outboundConsoleRig } from "./outbound_console_rig.ts";

async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ timeout: 15_000 }), page.click(selector)]);
}

async function noSeriousViolations(page: Page, step: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${step}: ${JSON.stringify(violations)}`);
}

Deno.test({
  ...browserTest("outbound page (Chromium): ask for permission, then call with a purpose"),
  fn: async () => {
    const rig = await outboundConsoleRig();
    const browser = await launchBrowser();
    try {
      const user = newCustomer();
      rig.graph.permissions.script(user, "accept_permanent");
      const { page, errors } = await openPage(browser);
      await signIn(page, rig.console, "operator");
      await page.goto(`${rig.console.url}/outbound`);
      await noSeriousViolations(page, "empty page");
      await page.type("#q-user", user);
      await page.$eval("#q-number", (el) => ((el as HTMLInputElement).value = ""));
      await page.type("#q-number", BUSINESS_ID);
      await submit(page, 'form[role="search"] button[type="submit"]');
      assert.match(await page.$eval("#perm-status", (el) => el.textContent ?? ""), /no_permission/);
      await noSeriousViolations(page, "look-up");

      await page.click("#kind-t");
      await page.type("#tpl-name", "sample_cpr_template");
      await submit(page, 'form[action="/outbound/permission-requests"] button[type="submit"]');
      const sent = await page.$eval("#outbound-result", (el) => el.textContent ?? "");
      assert.match(sent, /Permission request sent/);
      await noSeriousViolations(page, "request sent");

      const pair = { phoneNumberId: BUSINESS_ID, user };
      const until = Date.now() + 8000;
      while ((await rig.store.readCallPermission(pair, Date.now())).status !== "permanent") {
        assert.ok(Date.now() < until, "the user's reply never reached the store");
        await new Promise((r) => setTimeout(r, 50));
      }
      await submit(page, 'form[role="search"] button[type="submit"]');
      assert.match(await page.$eval("#perm-status", (el) => el.textContent ?? ""), /permanent/);

      await page.type("#instructions", "You call {{name}} to confirm the appointment.");
      await page.type("#greeting", "Hello {{name}}, this is Acme calling.");
      await page.type("#variables", "name=Ana");
      await submit(page, 'form[action="/outbound/calls"] button[type="submit"]');
      const href = await page.$eval("#outbound-result a", (el) => el.getAttribute("href") ?? "");
      assert.match(href, /^\/calls\/wacid\./);
      await noSeriousViolations(page, "call placed");
      const callId = decodeURIComponent(href.slice("/calls/".length));
      const call = await rig.callUntil(callId, (c) => c.status === "completed");
      assert.equal(call.direction, "business_initiated");
      assert.ok(rig.spoken.includes("Hello Ana, this is Acme calling."), `${rig.spoken}`);
      await submit(page, "#outbound-result a");
      assert.match(await page.title(), /Call/);

      const viewerContext = await browser.createBrowserContext();
      const viewerPage = await viewerContext.newPage();
      await signIn(viewerPage, rig.console, "viewer");
      await viewerPage.goto(
        `${rig.console.url}/outbound?user=${user}&phone_number_id=${BUSINESS_ID}`,
      );
      const viewerHtml = await viewerPage.content();
      assert.ok(viewerHtml.includes(maskPhone(user)), "the viewer sees the masked number");
      assert.ok(!viewerHtml.includes(user), "the viewer's page holds the whole number");
      await noSeriousViolations(viewerPage, "viewer");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await rig.close();
    }
  },
});
