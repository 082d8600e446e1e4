/**
 * The Agents page in Debian's Chromium: a signed-in admin changes a number's
 * greeting in the form and saves it, and the next call to that number,
 * through the real bridge with its agent on the fake OpenAI, greets with the
 * new words (the fake records what it was asked to say), while the call
 * before the change greeted as the environment says. No JavaScript errors,
 * no serious axe-core violations on the form, the saved page or a viewer's
 * read-only view. A number with no call yet is opened from the list's "Set up
 * a number" form, and call hours that never open are refused next to the days.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { startTestConsole } from "../../console/server/test_utils.ts";
import { agentDefaultsFromEnv } from "../../bridge/agent_settings/defaults.ts";
import { startSettingsBridge } from "../support/agent_settings_bridge.ts";
import { axeViolations, browserTest, launchBrowser, openPage, signIn } from "./browser.ts";

const PN = "106540352242922";
const NEW_PN = "987654321012345";
const GREETING = "Welcome to Acme Bakery, this is Ana speaking.";

Deno.test({
  ...browserTest("agents page: an admin changes the greeting; the next call greets with it"),
  async fn() {
    const store = await openStore({ pgliteDir: "memory://" });
    const bridge = startSettingsBridge({ recorder: store, agentSettings: store });
    const tc = await startTestConsole({
      store,
      deps: { agentDefaults: agentDefaultsFromEnv({ AGENT: "openai", OPENAI_API_KEY: "sk-x" }) },
    });
    const browser = await launchBrowser();
    try {
      // Before the change: the environment's greeting directive, not our words.
      await bridge.call("wacid.ap-before", PN);
      const before = await bridge.fake.waitForEvent("response.create", (_e, n) => n === 1, 5000);
      assert.doesNotMatch(JSON.stringify(before), /Acme Bakery/);

      // The Edge Function records the number a call reached; this harness has no function.
      await store.upsertCall({ callId: "wacid.ap-before", phoneNumberId: PN });
      const { page, errors } = await openPage(browser);
      await signIn(page, tc, "admin");
      await page.goto(`${tc.url}/agents`);
      assert.match(
        await page.content(),
        new RegExp(`/agents/${PN}`),
        "the called number is listed",
      );
      assert.deepEqual(await axeViolations(page), [], "list with the set-up form");

      // A number with no call yet is set up from the list's form (a GET, nothing saved).
      await page.type("#f-setup", NEW_PN);
      await Promise.all([page.waitForNavigation(), page.click("#setup-open")]);
      assert.equal(new URL(page.url()).pathname, `/agents/${NEW_PN}`);
      // A time zone with no opening day would close the number for good: refused next to the days.
      await page.type("#f-tz", "Europe/Paris");
      await Promise.all([page.waitForNavigation(), page.click("#save-settings")]);
      assert.match(await page.$eval("#e-weekly", (e) => e.textContent ?? ""), /at least one day/);
      assert.deepEqual(await axeViolations(page), [], "never-open hours refused");
      assert.equal(await store.getAgentSettings(NEW_PN), null);

      await page.goto(`${tc.url}/agents/${PN}`);
      assert.deepEqual(await axeViolations(page), [], "form");
      await page.type("#f-greeting", GREETING);
      await page.select("#f-voice", "cedar");
      await Promise.all([page.waitForNavigation(), page.click("#save-settings")]);
      assert.match(await page.$eval("main", (m) => m.textContent ?? ""), /Saved version 1/);
      assert.equal(
        await page.$eval("#f-greeting", (el) => (el as HTMLInputElement).value),
        GREETING,
      );
      assert.deepEqual(await axeViolations(page), [], "saved page with history");

      // The next call greets with the new words, in the new voice.
      await bridge.call("wacid.ap-after", PN);
      const update = await bridge.fake.waitForEvent("session.update", (_e, n) => n === 2, 5000);
      assert.match(JSON.stringify(update), /"voice":"cedar"/);
      const greeting = await bridge.fake.waitForEvent("response.create", (_e, n) => n === 2, 5000);
      assert.ok(
        JSON.stringify(greeting).includes(GREETING),
        `asked to say: ${JSON.stringify(greeting)}`,
      );

      // A viewer sees the same page, read only.
      // Same browser, so the viewer's session cookie replaces the admin's.
      const viewer = await openPage(browser);
      await signIn(viewer.page, tc, "viewer");
      await viewer.page.goto(`${tc.url}/agents/${PN}`);
      assert.equal(await viewer.page.$("#save-settings"), null);
      assert.equal(
        await viewer.page.$eval("#f-greeting", (el) => el.matches(":disabled")),
        true,
      );
      assert.deepEqual(await axeViolations(viewer.page), [], "viewer's page");
      // Chromium logs the refused save's 422 as a failed resource: the status we meant to send.
      const refused = `status of 422 (Unprocessable Entity) ${tc.url}/agents/${NEW_PN}`;
      assert.deepEqual([...errors, ...viewer.errors].filter((e) => !e.endsWith(refused)), []);
    } finally {
      await browser.close();
      await tc.close();
      await bridge.close();
      await store.close();
    }
  },
});
