/**
 * Browser helpers of the console tests: Debian's Chromium driven by
 * puppeteer-core, signed in as a role of a {@linkcode TestConsole}, with every
 * page error and console error collected (a CSP violation or a failed asset
 * is one), and axe-core run inside the page.
 *
 * ```ts
 * Deno.test({ ...browserTest("live page"), async fn() {
 *   const browser = await launchBrowser();
 *   try {
 *     const { page, errors } = await openPage(browser);
 *     await signIn(page, console, "viewer");
 *     await page.goto(`${console.url}/live`);
 *     assert.deepEqual(await axeViolations(page), []);
 *     assert.deepEqual(errors, []);
 *   } finally { await browser.close(); }
 * }});
 * ```
 *
 * @module
 */
import { createRequire } from "node:module";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { Role } from "../../console/server/context.ts";
import type { TestConsole } from "../../console/server/test_utils.ts";
import { SESSION_COOKIE } from "../../console/server/auth/session.ts";

/** Chromium's path: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Whether Chromium is here to run browser tests. */
export const chromiumAvailable = exists(CHROMIUM_PATH);

/**
 * `name` and `ignore` for a `Deno.test` that needs Chromium, ignored visibly
 * without it, and the sanitizers off (the browser's pipes outlive the test's ops).
 */
export function browserTest(name: string) {
  return {
    name: chromiumAvailable ? name : `${name} (ignored: no Chromium at ${CHROMIUM_PATH})`,
    ignore: !chromiumAvailable,
    sanitizeOps: false,
    sanitizeResources: false,
  };
}

/** Launches headless Chromium; `args` add flags (e.g. a fake microphone). */
export async function launchBrowser(options: { args?: string[] } = {}): Promise<Browser> {
  const dir = await Deno.makeTempDir({ prefix: "console-chromium-" });
  return await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      `--user-data-dir=${dir}`,
      ...(options.args ?? []),
    ],
  });
}

/** A page and the errors it has shown so far. */
export interface CheckedPage {
  page: Page;
  /** Uncaught exceptions, `console.error` lines, CSP violations, failed loads. */
  errors: string[];
}

/** A new page whose JavaScript errors and console errors land in `errors`. */
export async function openPage(browser: Browser): Promise<CheckedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${String(error)}`));
  page.on("console", (message) => {
    // Lines of code the test itself evaluated (axe's injected styles) are not the page's.
    if (message.type() === "error" && !(message.location().url ?? "").startsWith("pptr:")) {
      errors.push(`console.error: ${message.text()} ${message.location().url ?? ""}`.trim());
    }
  });
  page.on("requestfailed", (request) => {
    const failure = request.failure()?.errorText ?? "failed";
    // A navigation the page itself replaced (e.g. a redirect) is not an error.
    if (failure !== "net::ERR_ABORTED") errors.push(`requestfailed: ${request.url()} ${failure}`);
  });
  return { page, errors };
}

/** Signs `page` in as `role` by setting the session cookie `testConsole.cookieFor(role)` holds. */
export async function signIn(page: Page, testConsole: TestConsole, role: Role): Promise<void> {
  const cookie = await testConsole.cookieFor(role);
  const value = cookie.slice(cookie.indexOf("=") + 1);
  await page.browserContext().setCookie({
    name: SESSION_COOKIE,
    value,
    domain: new URL(testConsole.url).hostname,
    path: "/",
    httpOnly: true,
    sameSite: "Strict",
  });
}

/** An axe-core violation, as the tests print it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** Selectors of the offending nodes. */
  nodes: string[];
}

let axeSource: string | undefined;

/**
 * Serious and critical axe-core violations on the page as it is now. axe's
 * source is evaluated as a string through the DevTools protocol, which the
 * page's CSP does not govern, so the console's strict CSP stays as it is.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await Deno.readTextFile(
    createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  );
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const run = await axe.run(document, { resultTypes: ["violations"] });
    // deno-lint-ignore no-explicit-any
    return run.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      // deno-lint-ignore no-explicit-any
      nodes: v.nodes.map((n: any) => String(n.target.join(" "))),
    }));
  }) as AxeViolation[];
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}
