/**
 * Issue 16's "done when", as a newcomer does it, against real parts only:
 * `deno task dev` as a process (no keys: the echo agent, embedded PGlite),
 * the printed `Console: ` link opened in Chromium, `deno task call` as a
 * process watched on the Live page while it is in progress and gone when it
 * ends, then replayed from History (the recording plays, the heard line
 * moves), its cost ($0.00) and turn latency read; then the admin the link
 * signed in sets the number's greeting on the Agents page, and the next
 * `deno task call` hears it: spoken words (espeak-ng) where the first call
 * heard the two-tone chime, and the greeting as the first transcript line.
 * The whole greeting is heard (the simulated caller lets it finish), and each
 * `deno task call` exits as soon as its call is over. No JavaScript errors
 * and no serious axe-core violations on any page. Ignored visibly without
 * Chromium or espeak-ng.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { CHIME_TONES_HZ } from "../../bridge/agents/echo.ts";
import { speakLocally } from "../../bridge/agents/local_speech.ts";
import { rms } from "../../lib/audio/pcm.ts";
import { goertzelPower } from "../../lib/audio/tone.ts";
import { decodeWav, type WavAudio } from "../../lib/audio/wav.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import { freePort } from "../support/net.ts";
import {
  type AxeViolation,
  axeViolations,
  browserTest,
  type CheckedPage,
  launchBrowser,
  openPage,
} from "./browser.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const GREETING = "Welcome to Acme Support";
const RATE = 24000;
const FRAME = 480;

/** Variables `deno task dev` reads: never inherited from the test's environment. */
const STACK_VARIABLE =
  /^(DATABASE_URL|SUPABASE_\w+|STORE_\w+|OPENAI_\w+|AGENT(_\w+)?|WHATSAPP_\w+|WA_\w+|VOICE_BRIDGE_\w+|BRIDGE_\w+|FUNCTIONS_PORT|CONSOLE_\w+|MAX_\w+|LOG_\w+|DRAIN_TIMEOUT_S|ICE_\w+|PUBLIC_IP|RTP_PORT_\w+|STUN_SERVERS|RECORDINGS?(_\w+)?|CALL_WEBHOOK_\w+|PRICING|META_CALL_PRICING|ANALYSIS_\w+|DEV_\w+)$/;

function espeakAvailable(): boolean {
  try {
    return new Deno.Command("espeak-ng", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) if (!STACK_VARIABLE.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/** A `deno task …` child whose output is kept as it comes. */
function task(args: string[], env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    cwd: REPO_ROOT,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const bytes of stream) chunks.push(decoder.decode(bytes, { stream: true }));
  };
  const done = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const spawnedAt = performance.now();
  let wallMs = NaN;
  const status = child.status.then(async (
    s,
  ) => (await done, wallMs = performance.now() - spawnedAt, s));
  return { child, status, output: () => chunks.join(""), wallMs: () => wallMs };
}

/** Waits for `pattern` in `output()`, failing with the output if `status` settles first. */
async function waitForOutput(
  t: ReturnType<typeof task>,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  let exited = false;
  t.status.then(() => (exited = true), () => (exited = true));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const match = t.output().match(pattern);
    if (match) return match;
    if (exited || performance.now() > deadline) {
      throw new Error(`no ${pattern} (exited: ${exited}); output:\n${t.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Checks a finished `deno task call`: it completed, and exited soon after the
 * caller hung up (no leftover timer keeping the newcomer's terminal). Returns its call id.
 */
async function completedCall(t: ReturnType<typeof task>): Promise<string> {
  const status = await t.status;
  assert.equal(status.code, 0, t.output());
  const [, callId] = t.output().match(/call (\S+): completed; caller heard/) ?? [];
  const [, hungUp] = t.output().match(/(\d+) ms {2}caller hung up/) ?? [];
  assert.ok(callId && hungUp, t.output());
  const lingered = t.wallMs() - Number(hungUp);
  assert.ok(lingered < 4000, `deno task call took ${Math.round(lingered)} ms beyond the call`);
  return callId;
}

/** The agent's first spoken stretch: from the first audible frame to the first 250 ms gap. */
function firstStretch(heard: Int16Array): Int16Array {
  const frames = Math.floor(heard.length / FRAME);
  const audible = (i: number) => rms(heard.subarray(i * FRAME, (i + 1) * FRAME)) >= 200;
  let start = 0;
  while (start < frames && !audible(start)) start++;
  let end = start;
  for (let i = start, quiet = 0; i < frames && quiet < 13; i++) {
    if (audible(i)) (end = i + 1, quiet = 0);
    else quiet++;
  }
  return heard.subarray(start * FRAME, end * FRAME);
}

/** Share of `pcm`'s energy in the chime's two tones: ~0.5 for the chime, ~0 for speech. */
function chimeShare(pcm: Int16Array): number {
  const mean = pcm.reduce((s, x) => s + x * x, 0) / pcm.length;
  // A tone filling half the block reads a quarter of its mean square; the chime is two halves.
  const tones = CHIME_TONES_HZ.reduce((s, hz) => s + goertzelPower(pcm, RATE, hz), 0);
  return tones / mean;
}

/** `wait`, failing with `what` when it times out (puppeteer's own message names no step). */
async function step<T>(what: string, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : error}`);
  }
}

async function checked(p: CheckedPage, where: string): Promise<void> {
  const violations: AxeViolation[] = await axeViolations(p.page);
  assert.deepEqual(violations, [], `axe on ${where}`);
  assert.deepEqual(p.errors, [], `JS errors on ${where}`);
}

/** The Call page of `callId` from History, reloaded until its figures have settled. */
async function openFromHistory(page: Page, url: string, callId: string): Promise<void> {
  const href = `/calls/${encodeURIComponent(callId)}`;
  await page.goto(`${url}/calls`, { waitUntil: "load" });
  await Promise.all([page.waitForNavigation(), page.click(`a[href="${href}"]`)]);
  for (let i = 0; i < 50; i++) {
    const ready = await page.evaluate(() =>
      document.getElementById("recording") !== null &&
      !(document.querySelector('[aria-labelledby="h-figures"]')?.textContent ?? "")
        .includes("Not settled yet")
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
    await page.reload({ waitUntil: "load" });
  }
  assert.fail(`the call page never showed a recording and figures: ${await page.content()}`);
}

const transcriptLines = (page: Page) =>
  page.$$eval("ol.transcript button.line", (b) => b.map((e) => e.textContent ?? ""));

const test = browserTest(
  "newcomer: deno task dev, the printed link, a call watched live, replayed, costed; a new greeting heard on the next call",
);
Deno.test({
  ...test,
  name: espeakAvailable() ? test.name : `${test.name} (ignored: no espeak-ng to speak greetings)`,
  ignore: test.ignore || !espeakAvailable(),
  async fn() {
    const started = performance.now();
    const marks: Record<string, number> = {};
    const mark = (name: string) => (marks[name] = Math.round(performance.now() - started));
    const dir = await Deno.makeTempDir({ prefix: "newcomer_" });
    const graphPort = freePort();
    const functionsPort = freePort();
    const dev = task(
      ["dev"],
      cleanEnv({
        FUNCTIONS_PORT: String(functionsPort),
        BRIDGE_PORT: String(freePort()),
        CONSOLE_PORT: String(freePort()),
        WHATSAPP_GRAPH_URL: `http://127.0.0.1:${graphPort}/v23.0`,
        STORE_PGLITE_DIR: join(dir, "pglite"),
        RECORDINGS_DIR: join(dir, "recordings"),
        DEV_WEBHOOK_DIR: join(dir, "webhooks"),
        LOG_LEVEL: "warning",
        LOG_FORMAT: "json",
        DRAIN_TIMEOUT_S: "3",
      }),
    );
    const call = (out: string) =>
      task([
        "call",
        "--functions-url",
        `http://127.0.0.1:${functionsPort}/functions/v1`,
        "--graph-port",
        String(graphPort),
        "--out",
        join(dir, out),
        "--listen",
        "2",
      ], cleanEnv({}));
    let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
    try {
      const [, link] = await waitForOutput(dev, /^Console: (http\S+)$/m, 60_000);
      const url = new URL(link!).origin;
      mark("dev");
      browser = await launchBrowser({ args: ["--autoplay-policy=no-user-gesture-required"] });
      const p = await openPage(browser);
      const { page } = p;

      // The printed link signs in; the Live page goes live.
      await page.goto(link!, { waitUntil: "load" });
      assert.ok(!new URL(page.url()).pathname.startsWith("/signin"), `signed in: ${page.url()}`);
      await page.goto(`${url}/live`, { waitUntil: "load" });
      await step(
        "the Live page goes live",
        page.waitForFunction(
          () => document.getElementById("live-status")?.textContent?.includes("Updating live"),
          { timeout: 10_000 },
        ),
      );
      await checked(p, "/live, empty");
      mark("live");

      // First call: listed while in progress, gone once it has ended.
      const first = call("heard1.wav");
      let firstEnded = false;
      first.status.finally(() => (firstEnded = true));
      await step(
        "the call shows on the Live page",
        page.waitForSelector("#live-calls tbody tr[data-call-id]", { timeout: 20_000 }),
      );
      const liveId = await page.$eval(
        "#live-calls tbody tr[data-call-id]",
        (r) => (r as HTMLElement).dataset.callId ?? "",
      );
      await step(
        "the Live row reads active",
        page.waitForFunction(
          () =>
            document.querySelector('#live-calls tbody tr[data-call-id] [data-cell="state"]')
              ?.textContent === "active",
          { timeout: 10_000 },
        ),
      );
      assert.ok(!firstEnded, "listed while deno task call is still in the call");
      await checked(p, "/live, a call in progress");
      const callId1 = await completedCall(first);
      assert.equal(liveId, callId1, "the Live row is the call deno task call placed");
      mark("call1");
      await step(
        "the ended call leaves the Live page",
        page.waitForFunction(
          () => document.querySelector("#live-calls tbody tr[data-call-id]") === null,
          { timeout: 10_000 },
        ),
      );

      // Replayed from History: the recording plays and the heard line moves.
      await openFromHistory(page, url, callId1);
      await step(
        "the recording loads",
        page.waitForFunction(
          () => (document.getElementById("recording") as HTMLAudioElement).readyState >= 1,
          { timeout: 10_000 },
        ),
      );
      const duration = await page.$eval("#recording", (a) => (a as HTMLAudioElement).duration);
      assert.ok(duration > 1, `recording lasts ${duration} s`);
      const lines1 = await transcriptLines(page);
      assert.ok(lines1.length >= 2, `transcript: ${lines1.join(" | ")}`);
      await page.$eval("#recording", (a) => (a as HTMLAudioElement).play());
      const marked = () =>
        page.$eval(
          "ol.transcript",
          (ol) =>
            [...ol.querySelectorAll("button.line")].findIndex((b) =>
              b.getAttribute("aria-current") === "true"
            ),
        );
      await step(
        "a transcript line is marked as heard",
        page.waitForFunction(
          () => document.querySelector('button.line[aria-current="true"]') !== null,
          { timeout: 10_000 },
        ),
      );
      const firstMarked = await marked();
      await step(
        "the marked line moves on",
        page.waitForFunction(
          (k) =>
            [...document.querySelectorAll("ol.transcript button.line")].findIndex((b) =>
              b.getAttribute("aria-current") === "true"
            ) > k,
          { timeout: 10_000 },
          firstMarked,
        ),
      );
      assert.ok(
        await page.$eval("#recording", (a) => (a as HTMLAudioElement).currentTime) > 0,
        "the recording is playing",
      );

      // Its cost and latency: the echo agent is free; its one turn is timed.
      const figures = await page.$eval(
        '[aria-labelledby="h-figures"]',
        (s) => (s.textContent ?? "").replace(/\s+/g, " "),
      );
      const time = String.raw`\d+(\.\d+)? m?s`;
      assert.match(figures, /Total\s*\$0\.00/, figures);
      assert.match(figures, new RegExp(`Turn latency p50 / p95\\s*${time} / ${time}`), figures);
      assert.match(figures, new RegExp(`Caller stops → agent audio\\s*1\\s*${time}`), figures);
      await checked(p, "the first call's page");
      mark("replayed");

      // Agents → the number the call reached: the admin sets a greeting.
      await page.goto(`${url}/agents`, { waitUntil: "load" });
      const pn = DEFAULT_BUSINESS.phoneNumberId;
      await checked(p, "/agents");
      await Promise.all([page.waitForNavigation(), page.click(`a[href="/agents/${pn}"]`)]);
      await page.type("#f-greeting", GREETING);
      await Promise.all([page.waitForNavigation(), page.click("#save-settings")]);
      assert.match(await page.$eval("main", (m) => m.textContent ?? ""), /Saved version 1/);
      await checked(p, "the number's saved settings");
      mark("saved");

      // Second call: the caller hears the greeting spoken.
      const second = call("heard2.wav");
      const callId2 = await completedCall(second);
      mark("call2");
      const heard = async (name: string) =>
        (decodeWav(await Deno.readFile(join(dir, name))) as WavAudio).samples;
      const chime = firstStretch(await heard("heard1.wav"));
      const spoken = firstStretch(await heard("heard2.wav"));
      const ms = (pcm: Int16Array) => Math.round(pcm.length / 24);
      assert.ok(ms(chime) >= 240 && ms(chime) <= 400, `first call heard ${ms(chime)} ms first`);
      assert.ok(chimeShare(chime) > 0.3, `the first call heard the chime (${chimeShare(chime)})`);
      // All of it: as long as espeak-ng says it, not cut off by the caller talking over it.
      const said = ms(firstStretch((await speakLocally(GREETING))!));
      assert.ok(
        ms(spoken) >= 900 && Math.abs(ms(spoken) - said) <= 250,
        `the second call heard ${ms(spoken)} ms of a ${said} ms greeting`,
      );
      assert.ok(chimeShare(spoken) < 0.05, `no chime on the second call (${chimeShare(spoken)})`);

      await openFromHistory(page, url, callId2);
      const lines2 = await transcriptLines(page);
      assert.match(lines2[0] ?? "", new RegExp(`Agent: ${GREETING}`), lines2.join(" | "));
      await checked(p, "the second call's page");
      console.log(
        `newcomer flow: ${Math.round(performance.now() - started)} ms; first heard ` +
          `${ms(chime)} ms (chime share ${chimeShare(chime).toFixed(2)}), second ${
            ms(spoken)
          } ms ` +
          `(chime share ${chimeShare(spoken).toFixed(3)}; espeak-ng says it in ${said} ms); marks ${
            JSON.stringify(marks)
          }`,
      );
    } finally {
      await browser?.close();
      try {
        dev.child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      const killer = setTimeout(() => dev.child.kill("SIGKILL"), 15_000);
      await dev.status;
      clearTimeout(killer);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
