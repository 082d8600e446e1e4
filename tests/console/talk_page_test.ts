/**
 * "Talk to your agent" in Debian's Chromium: a signed-in operator presses
 * Start, Chromium's fake microphone (tone bursts from a WAV) goes over WebRTC
 * to the real bridge and its echo agent, the agent's chime and echo come back
 * into the page, and Hang up ends it. Audio is measured both ways: in the
 * page by the page's own AnalyserNode meters and getStats counters, at the
 * bridge by the session's RTP counters. Afterwards the call is in the store
 * as a test call with its recording file, its end-of-call webhook says
 * `testCall: true`, and the fake Meta Graph API saw not one request. No
 * JavaScript errors, no serious axe-core violations, idle or in a call.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { sine } from "../../lib/audio/tone.ts";
import { encodeWav } from "../../lib/audio/wav.ts";
import { startTalkStack } from "../../console/talk/talk_test_utils.ts";
import { until } from "../support/until.ts";
import { axeViolations, browserTest, launchBrowser, openPage, signIn } from "./browser.ts";

const NUMBER = "106540352242922";

/** 0.8 s of 440 Hz then 0.8 s of silence at 48 kHz: the echo agent plays each burst back. */
async function micWav(dir: string): Promise<string> {
  const rate = 48000;
  const burst = sine(440, rate, Math.round(rate * 0.8), 8000);
  const path = join(dir, "mic.wav");
  await Deno.writeFile(path, encodeWav(concatPcm([burst, new Int16Array(burst.length)]), rate));
  return path;
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? "");
const peak = (page: Page, selector: string) =>
  page.$eval(selector, (el) => Number((el as HTMLElement).dataset.peak ?? 0));

/** The offer as from behind NAT: every candidate address private (10/8, fd00::/8). */
function behindNat(sdp: string): string {
  return sdp.replace(
    /^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)/gm,
    (_, head: string, address: string) =>
      `${head}${address.includes(":") ? "fd00::99" : "10.255.255.1"}`,
  );
}

/** Reads until `ready` holds or 10 s pass; the last read either way. */
async function poll<T>(read: () => Promise<T>, ready: (value: T) => boolean): Promise<T> {
  const end = performance.now() + 10_000;
  for (;;) {
    const value = await read();
    if (ready(value) || performance.now() > end) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls the page until `check` holds. */
async function pageUntil(
  page: Page,
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) {
      throw new Error(`timed out waiting for ${what}; status: ${await text(page, "#talk-status")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  ...browserTest("talk page: the browser talks with the agent through the bridge, audio both ways"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "talk_page_" });
    // Chromium gathers no loopback candidates: the bridge answers with its other addresses.
    // Offers' private candidates are not checked, as in production.
    const stack = await startTalkStack({
      records: true,
      env: { ICE_INCLUDE_LOOPBACK: "false", ICE_ALLOW_PRIVATE_CANDIDATES: "false" },
    });
    const browser = await launchBrowser({
      args: [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${await micWav(dir)}`,
        "--autoplay-policy=no-user-gesture-required",
      ],
    });
    try {
      const { page, errors } = await openPage(browser);
      await signIn(page, stack.console, "operator");
      await page.goto(`${stack.console.url}/talk`);
      assert.deepEqual(await axeViolations(page), [], "idle page");
      assert.equal(await text(page, "#talk-status"), "Not connected.");

      await page.$eval("#talk-number", (el) => ((el as HTMLInputElement).value = ""));
      await page.type("#talk-number", NUMBER);
      await page.click("#talk-start");
      await pageUntil(
        page,
        async () => (await text(page, "#talk-status")).startsWith("Connected"),
        15_000,
        "the call to connect",
      );
      const callId = await text(page, "#talk-call");
      assert.match(callId, /^test-/);
      assert.equal(
        await page.$eval("#talk-hangup", (b) => (b as HTMLButtonElement).disabled),
        false,
      );

      // Agent → page: RTP counted by getStats, energy by the AnalyserNode meter.
      await pageUntil(
        page,
        async () => Number(await text(page, "#talk-received")) > 50,
        10_000,
        "50 RTP packets from the agent",
      );
      await pageUntil(
        page,
        async () => (await peak(page, "#talk-agent-level")) > 0.01,
        10_000,
        "the agent's audio energy in the page",
      );
      // Page → bridge: the microphone's energy in the page and RTP decrypted at the bridge.
      assert.ok((await peak(page, "#talk-mic-level")) > 0.01, "the fake microphone is heard");
      assert.ok(Number(await text(page, "#talk-sent")) > 50, "the page sent RTP");
      const session = stack.bridge.manager.list().find((s) => s.callId === callId);
      assert.ok(session, "the bridge holds the call");
      await until(() => session.mediaStats().packetsReceived > 50, 10_000, "RTP at the bridge");
      // The agent heard speech in it (its VAD, on decoded audio) and played it back.
      const lines = await poll(
        () => stack.store.listTranscripts(callId),
        (ts) => ts.some((t) => t.speaker === "agent" && t.text.startsWith("[echo")),
      );
      assert.ok(lines.some((t) => t.speaker === "caller"), "the agent heard the microphone");
      assert.ok(lines.some((t) => t.speaker === "agent"), "and echoed it");
      assert.deepEqual(await axeViolations(page), [], "page in a call");

      await page.click("#talk-hangup");
      await pageUntil(
        page,
        async () => (await text(page, "#talk-status")) === "Call ended.",
        10_000,
        "the hang-up",
      );
      const call = await poll(() => stack.store.getCall(callId), (c) => c?.status === "completed");
      assert.equal(call?.status, "completed");
      assert.equal(call?.testCall, true);
      assert.equal(call?.endReason, "hangup");
      assert.equal(call?.fromUserId, "user-operator");

      // The recording, like any call's: a stereo file in RECORDINGS_DIR, its row in the store.
      const recording = await poll(() => stack.store.getRecording(callId), (r) => r !== null);
      assert.ok(recording, "a recording row");
      const file = await Deno.stat(join(stack.recordingsDir, recording.key));
      assert.ok(file.size > 1000, `recording file of ${file.size} bytes`);

      // The end-of-call webhook marks it a test call.
      await until(() => stack.webhooks.length > 0, 15_000, "the call.ended webhook");
      const ended = stack.webhooks[0] as {
        type: string;
        data: { call: { id: string; testCall: boolean } };
      };
      assert.equal(ended.type, "call.ended");
      assert.equal(ended.data.call.id, callId);
      assert.equal(ended.data.call.testCall, true);

      // A browser behind NAT offers only private addresses, which the bridge does not check:
      // ICE still completes, on the peer-reflexive address the browser's own checks reveal.
      await page.setRequestInterception(true);
      page.on("request", (req) => {
        if (req.method() !== "POST" || !req.url().endsWith("/sessions")) return void req.continue();
        const body = JSON.parse(req.postData() ?? "{}") as { sdp: string };
        body.sdp = behindNat(body.sdp);
        void req.continue({ postData: JSON.stringify(body) });
      });
      await page.click("#talk-start");
      await pageUntil(
        page,
        async () => Number(await text(page, "#talk-received")) > 25,
        15_000,
        "audio from behind NAT",
      );
      const natCallId = await text(page, "#talk-call");
      assert.notEqual(natCallId, callId);
      await page.click("#talk-hangup");
      const natCall = await poll(
        () => stack.store.getCall(natCallId),
        (c) => c?.status === "completed",
      );
      assert.equal(natCall?.status, "completed");
      assert.equal(natCall?.testCall, true);
      // What the bridge was offered: private addresses only, none of them checked.
      const connect = (await stack.store.listEvents(natCallId)).find((e) => e.name === "connect");
      const offered = String((connect?.data as { sdp?: string } | undefined)?.sdp ?? "")
        .split("\r\n").filter((l) => l.startsWith("a=candidate:"));
      assert.ok(offered.length > 0);
      assert.ok(offered.every((l) => / (10\.255\.255\.1|fd00::99) /.test(l)), offered.join("\n"));

      assert.deepEqual(errors, [], "no JavaScript errors in the page");
    } finally {
      await browser.close();
      await stack.close();
      await Deno.remove(dir, { recursive: true });
    }
    assert.deepEqual(stack.graph.requests, [], "the fake Meta saw no request");
  },
});
