/**
 * Sign-in in a real browser: the one-time link of the embedded console and
 * email + password through (a local fake of) Supabase Auth, sign-out, no
 * JavaScript errors, and no serious axe-core violations on the sign-in pages.
 */
import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import { startTestConsole, testUser } from "../../console/server/test_utils.ts";
import type { Store } from "../../store/store.ts";
import { axeViolations, browserTest, launchBrowser, openPage } from "./browser.ts";

// One database for the file: opening PGlite is the slow part.
let shared: Promise<Store> | undefined;
const sharedStore = () => shared ??= openStore({ pgliteDir: "memory://" });

Deno.test({
  ...browserTest("console sign-in: one-time link lands on /live, sign-out, link not reusable"),
  async fn() {
    const store = await sharedStore();
    const tc = await startTestConsole({ store, embedded: true });
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser);
      await page.goto(`${tc.url}/live`);
      assert.equal(new URL(page.url()).pathname, "/signin", "signed out: sent to /signin");
      assert.match(await page.content(), /one-time sign-in link/);
      assert.deepEqual(await axeViolations(page), []);

      const link = (await tc.running.signInLink())!;
      await page.goto(link);
      assert.equal(new URL(page.url()).pathname, "/live");
      assert.equal(await page.$eval("nav [aria-current=page]", (a) => a.textContent), "Live");
      assert.match(
        await page.$eval("header .who", (e) => e.textContent ?? ""),
        /local-admin \(admin\)/,
      );
      const cookies = await page.browserContext().cookies();
      const session = cookies.find((c) => c.name === "console_session");
      assert.ok(session?.httpOnly, "HttpOnly session cookie");
      assert.equal(session?.sameSite, "Strict");
      assert.equal(await page.evaluate(() => document.cookie), "", "no cookie readable by scripts");

      await Promise.all([page.waitForNavigation(), page.click("form[action='/signout'] button")]);
      assert.equal(new URL(page.url()).pathname, "/signin");
      await page.goto(`${tc.url}/live`);
      assert.equal(new URL(page.url()).pathname, "/signin", "signed out for real");

      const reused = await page.goto(link);
      assert.equal(reused?.status(), 403);
      assert.match(await page.content(), /already used or has expired/);
      // The 403 of the reused link is expected; nothing else may have gone wrong.
      assert.deepEqual(errors.filter((e) => !/status of 403/.test(e)), []);
    } finally {
      await browser.close();
      await tc.close();
    }
  },
});

Deno.test({
  ...browserTest(
    "console sign-in: email and password through Supabase Auth, wrong password, no role",
  ),
  async fn() {
    const store = await sharedStore();
    const tc = await startTestConsole({ store });
    const browser = await launchBrowser();
    try {
      const { page, errors } = await openPage(browser);
      const signInAs = async (who: { email: string; password: string }) => {
        await page.type("#email", who.email);
        await page.type("#password", who.password);
        await Promise.all([
          page.waitForNavigation(),
          page.click("form.signin button[type=submit]"),
        ]);
      };
      await page.goto(`${tc.url}/live`);
      assert.equal(new URL(page.url()).pathname, "/signin");
      assert.deepEqual(await axeViolations(page), []);
      // Labels lead to the fields: keyboard and screen readers find them.
      assert.equal(await page.$eval("label[for=email]", (l) => l.textContent), "Email");

      await signInAs({ ...testUser("viewer"), password: "wrong" });
      assert.match(
        await page.$eval("[role=alert]", (e) => e.textContent ?? ""),
        /Wrong email or password/,
      );
      assert.deepEqual(await axeViolations(page), [], "the form with its error");

      await signInAs(testUser("viewer"));
      assert.equal(new URL(page.url()).pathname, "/live", "back where the user was going");
      assert.match(
        await page.$eval("header .who", (e) => e.textContent ?? ""),
        /viewer@console\.test \(viewer\)/,
      );
      await Promise.all([page.waitForNavigation(), page.click("form[action='/signout'] button")]);

      await signInAs(testUser("none"));
      assert.match(await page.content(), /Ask an admin/);
      assert.deepEqual(await axeViolations(page), [], "the no-access page");
      const expected = (e: string) => /status of (401|403)/.test(e);
      assert.deepEqual(errors.filter((e) => !expected(e)), []);
    } finally {
      await browser.close();
      await tc.close();
      await store.close();
    }
  },
});
