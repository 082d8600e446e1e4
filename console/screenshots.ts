/**
 * `deno task screenshots`: the README's pictures of each console page, taken
 * from the real product. It starts the whole dev stack on free ports and a
 * throw-away database, seeds it with a month of sample history (the
 * benchmark's generator, so Analytics has something to chart), places a few
 * simulated WhatsApp calls (spoken by espeak-ng where installed), keeps one on
 * the line for the Live page, and photographs every page in Debian's Chromium
 * into `docs/console/`.
 *
 * ```sh
 * deno task screenshots [--out docs/console]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Page } from "puppeteer-core";
import { startDev } from "../cli/dev.ts";
import { speakLocally } from "../bridge/agents/local_speech.ts";
import { FakeMetaGraph } from "../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../simulator/meta_webhooks.ts";
import { placeSimulatedCall, simulatedCaller } from "../simulator/simulated_call.ts";
import { launchBrowser } from "../tests/console/browser.ts";
import { freePort } from "../tests/support/net.ts";
import { consoleLine } from "./server/run.ts";
import { seedConsoleData } from "../bench/console_seed.ts";
import { applyMigrations, loadMigrations } from "../store/migrate.ts";
import { openPgliteAdapter } from "../store/pglite.ts";

/** Callers of the pictured calls: number, name, what they say. */
const CALLERS = [
  ["+14155550101", "Ana", "Hello, where is my parcel? The order number is 4 4 1 7."],
  ["+442071838750", "Ben", "Hi, I would like to move my appointment to Friday."],
  ["+5511987650000", "Carla", "Good morning, I was charged twice for my last order."],
] as const;

/** The pages pictured, in README order: file name and path (`{call}`: a finished call). */
const PAGES = [
  ["live", "/live"],
  ["history", "/calls"],
  ["call", "/calls/{call}"],
  ["analytics", "/analytics"],
  ["agents", "/agents"],
  ["agent", "/agents/{number}"],
  ["talk", "/talk"],
  ["outbound", "/outbound"],
  ["campaigns", "/campaigns"],
] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { out: { type: "string", default: "docs/console" } },
  });
  const dir = await Deno.makeTempDir({ prefix: "screenshots-" });
  await seedHistory(`${dir}/pglite`);
  const graphPort = freePort();
  const dev = await startDev({
    ...Deno.env.toObject(),
    STORE_PGLITE_DIR: `${dir}/pglite`,
    RECORDINGS_DIR: `${dir}/recordings`,
    DEV_WEBHOOK_DIR: `${dir}/webhooks`,
    FUNCTIONS_PORT: String(freePort()),
    BRIDGE_PORT: String(freePort()),
    CONSOLE_PORT: String(freePort()),
    WHATSAPP_GRAPH_URL: `http://127.0.0.1:${graphPort}/v23.0`,
    LOG_LEVEL: "error",
  });
  const graph = new FakeMetaGraph({ accessToken: dev.config.env.WHATSAPP_ACCESS_TOKEN ?? "" });
  const graphServer = await graph.start(graphPort);
  const browser = await launchBrowser();
  try {
    const call = (i: number, listenMs: number) => placeCall(dev.functionsUrl, graph, i, listenMs);
    const ended: string[] = [];
    for (let i = 0; i < CALLERS.length - 1; i++) ended.push(await call(i, 2_000));
    // On the line while Live is pictured.
    const live = call(CALLERS.length - 1, 12_000);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860 });
    const link = (await consoleLine(dev.console)).replace(/^Console: /, "");
    await page.goto(link, { waitUntil: "networkidle2" });
    const number = DEFAULT_BUSINESS.phoneNumberId;
    await Deno.mkdir(values.out, { recursive: true });
    for (const [name, path] of PAGES) {
      const url = dev.console.url + path.replace("{call}", ended[0]!).replace("{number}", number);
      await shoot(page, url, `${values.out}/${name}.png`);
      if (name === "live") await live; // the other pages show it finished
    }
  } finally {
    await browser.close();
    await graphServer.close();
    await dev.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A month of sample calls on the business number the simulated calls reach. */
async function seedHistory(pgliteDir: string): Promise<void> {
  const db = await openPgliteAdapter(pgliteDir);
  try {
    await applyMigrations(db, await loadMigrations());
    // PGlite prepares what `query` runs, one statement each; scripts go through `exec`.
    const script = {
      query: async <T>(text: string): Promise<T[]> =>
        /;\s*\S/.test(text) ? (await db.exec(text), []) : await db.query<T>(text),
    };
    await seedConsoleData(script, {
      calls: 1_500,
      days: 30,
      numbers: [DEFAULT_BUSINESS.phoneNumberId, "106540352242923"],
      liveCalls: 0,
    });
  } finally {
    await db.close();
  }
}

async function placeCall(
  functionsUrl: string,
  graph: FakeMetaGraph,
  i: number,
  listenMs: number,
): Promise<string> {
  const [user, name, words] = CALLERS[i]!;
  const speech = await speakLocally(words);
  const result = await placeSimulatedCall({
    webhookUrl: `${functionsUrl}/wa-webhook-core`,
    appSecret: "dev-app-secret",
    graph,
    listenMs,
    ...(speech ? { speech } : {}),
    ...simulatedCaller({ user: user.slice(1), callerName: name }),
  });
  return result.callId;
}

async function shoot(page: Page, url: string, file: string): Promise<void> {
  await page.goto(url, { waitUntil: "networkidle2" });
  await new Promise((resolve) => setTimeout(resolve, 800)); // charts and live rows settle
  await page.screenshot({ path: file, fullPage: true });
  console.log(`${file}  ${url.replace(/^https?:\/\/[^/]+/, "")}`);
}

if (import.meta.main) await main();
