/**
 * History and Call pages over a real console (PGlite store, locally minted
 * sign-in): filters, 400 on bad input, viewer masking (page and CSV), CSV
 * quoting and formula defusing, the 404 page, the timeline, Meta's error in
 * words, the recording route with ranges; then in Chromium, a real rendered
 * recording playing with the highlighted transcript line moving, and a click
 * on a line seeking there, without JavaScript errors or serious axe findings.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { startTestConsole, type TestConsole } from "../../console/server/test_utils.ts";
import { recordingReader } from "../../console/pages/call_recording.ts";
import { recordingFileName } from "../../bridge/recording/recording_store.ts";
import { CallRecording } from "../../bridge/recording/call_recording.ts";
import { readRawRecording } from "../../bridge/recording/raw_recording.ts";
import { renderStereo } from "../../bridge/recording/stereo_render.ts";
import { MemorySink, runScenario, SCENARIO } from "../../bridge/recording/scenario_test_utils.ts";
import {
  type AxeViolation,
  axeViolations,
  browserTest,
  launchBrowser,
  openPage,
  signIn,
} from "./browser.ts";

const CALLER = "4915112345678";
const T0 = Date.parse("2026-12-05T09:00:00Z");
const PLAYED = "wacid.played/with+slash=";
const FAILED = "wacid.failed";

/** A real stereo Ogg of the recording scenario (3 s), rendered by the project's code. */
async function renderedOgg(): Promise<Uint8Array> {
  const sink = new MemorySink();
  await runScenario(new CallRecording(PLAYED, sink));
  const chunks: Uint8Array[] = [];
  await renderStereo(readRawRecording(sink.bytes()), (pages) => {
    chunks.push(...pages);
    return Promise.resolve();
  });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

async function seed(store: Store): Promise<void> {
  const at = (ms: number) => new Date(T0 + ms);
  await store.upsertCall({
    callId: PLAYED,
    fromNumber: CALLER,
    toNumber: "15550009999",
    phoneNumberId: "106540352242922",
    direction: "user_initiated",
    status: "completed",
    offeredAt: at(0),
    preAcceptedAt: at(120),
    acceptedAt: at(300),
    endedAt: at(3500),
    durationSeconds: 3,
    endReason: "meta_completed",
  });
  // The session began at 110 ms (bridge_accept at 300 ms = accepted + 190);
  // its first packet, the recording's first frame, left at 110 + 191 = 301 ms.
  await store.recordEvent({ callId: PLAYED, name: "bridge_accept", occurredAt: at(300) });
  await store.recordEvent({
    callId: PLAYED,
    name: "first_agent_audio",
    occurredAt: at(330),
    data: { afterAcceptMs: 30 },
  });
  await store.recordEvent({
    callId: PLAYED,
    name: "dtmf",
    occurredAt: at(1500),
    data: { digit: "7" },
  });
  await store.recordEvent({ callId: PLAYED, name: "barge_in", occurredAt: at(2100) });
  await store.recordEvent({
    callId: PLAYED,
    name: "tool_call",
    occurredAt: at(2200),
    data: { name: "lookup_order", ok: true, durationMs: 42 },
  });
  await store.recordEvent({
    callId: PLAYED,
    name: "bridge_session_ended",
    occurredAt: at(3400),
    data: {
      reason: "meta_terminate",
      timings: { accepted: 190, firstPacketSent: 191, mediaConnected: 180 },
    },
  });
  const lines = [
    ["caller", '=HYPERLINK("http://evil") first, line', 0, 950],
    ["agent", "Second line, the agent answers", 1000, 1950],
    ["caller", "Third line: refund please", 2000, 2950],
  ] as const;
  for (const [speaker, text, from, to] of lines) {
    await store.addTranscript({
      callId: PLAYED,
      speaker,
      text,
      startedAt: at(301 + from),
      endedAt: at(301 + to),
    });
  }
  await store.saveAnalysis({
    callId: PLAYED,
    status: "analysed",
    reason: null,
    summary: "Caller asked for a refund.",
    outcome: "refund_requested",
    fields: { order: "A-17" },
    model: "m",
    usage: null,
    attempts: 1,
  });
  await store.saveFigures({
    callId: PLAYED,
    costUsd: 0.0123,
    turnCount: 1,
    turnP50Ms: 512,
    turnP95Ms: 512,
    webhookToAcceptMs: 300,
    acceptToFirstAudioMs: 30,
    latency: { turnsMs: [512] },
    cost: {
      openai: { totalUsd: 0.0123, models: [{ model: "gpt-realtime", totalUsd: 0.0123 }] },
      meta: { usd: 0, pulses: 0, billedSeconds: 0 },
      unpriced: [],
    },
  });
  await store.enqueueWebhook({
    webhookId: "msg_1",
    type: "call.ended",
    callId: PLAYED,
    payload: {},
  });
  await store.upsertCall({
    callId: FAILED,
    fromNumber: "-15550001111",
    toNumber: "15550009999",
    phoneNumberId: "106540352242922",
    direction: "user_initiated",
    status: "failed",
    offeredAt: at(60_000),
    endedAt: at(81_000),
    metaErrorCode: 138021,
    metaErrorCodes: [138021],
  });
}

interface Fixture {
  store: Store;
  console: TestConsole;
  dir: string;
  ogg: Uint8Array;
}

async function withConsole(fn: (f: Fixture) => Promise<void>): Promise<void> {
  const store = await openStore({ pgliteDir: "memory://" });
  const dir = await Deno.makeTempDir({ prefix: "call_page_" });
  const ogg = await renderedOgg();
  await Deno.writeFile(join(dir, recordingFileName(PLAYED)), ogg);
  await seed(store);
  await store.saveRecording({
    callId: PLAYED,
    location: "local",
    key: recordingFileName(PLAYED),
    bytes: ogg.length,
    durationMs: SCENARIO.frames * 20,
  });
  const testConsole = await startTestConsole({
    store,
    deps: { recordings: recordingReader({ dir }, store) },
  });
  try {
    await fn({ store, console: testConsole, dir, ogg });
  } finally {
    await testConsole.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const serious = (violations: AxeViolation[]) =>
  violations.filter((v) => v.impact === "serious" || v.impact === "critical");

const text = async (res: Response) => ({ status: res.status, body: await res.text() });

Deno.test("history page: filters, viewer masking, 400 on bad input, CSV safe and masked", () =>
  withConsole(async ({ console: c }) => {
    const op = await text(await c.fetch("/calls", { role: "operator" }));
    assert.equal(op.status, 200);
    assert.ok(op.body.includes(CALLER), "operators see whole numbers");
    assert.ok(op.body.includes(`/calls/${encodeURIComponent(PLAYED)}`));
    const viewer = await text(await c.fetch("/calls", { role: "viewer" }));
    assert.ok(!viewer.body.includes(CALLER), "viewers never see a whole number");
    assert.ok(!viewer.body.includes("15550009999"));

    const refund = await text(
      await c.fetch("/calls?q=refund&status=completed", { role: "operator" }),
    );
    assert.ok(refund.body.includes(encodeURIComponent(PLAYED)) && !refund.body.includes(FAILED));
    const byNumber = await text(
      await c.fetch(`/calls?number=%2B49%20151%2012345678`, { role: "operator" }),
    );
    assert.ok(byNumber.body.includes(encodeURIComponent(PLAYED)));
    // A viewer cannot find a caller by number (only the business's id).
    const viewerLookup = await text(await c.fetch(`/calls?number=${CALLER}`, { role: "viewer" }));
    assert.ok(viewerLookup.body.includes("No calls match"));

    const bad = await text(
      await c.fetch("/calls?from=2026-13-45&status=ringing-ish&q=%21%21", { role: "operator" }),
    );
    assert.equal(bad.status, 400);
    assert.match(bad.body, /From day: /);
    assert.match(bad.body, /Status: /);
    assert.match(bad.body, /Words in the transcript: needs at least one letter or digit/);
    const badCursor = await c.fetch("/calls?after=garbage", { role: "operator" });
    assert.equal(badCursor.status, 400);
    await badCursor.body?.cancel();

    const csv = await c.fetch("/calls.csv?direction=user_initiated", { role: "viewer" });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type")!, /^text\/csv/);
    const rows = (await csv.text()).split("\r\n");
    assert.equal(
      rows[0],
      "call_id,started_at,direction,from,to,phone_number_id,test_call,status,duration_seconds,end_reason,meta_error_code,outcome,cost_usd",
    );
    assert.equal(rows.length, 4, "header, two calls, and the final CRLF");
    const csvText = rows.join("\n");
    assert.ok(!csvText.includes(CALLER), "masked in the CSV too");
    assert.ok(!/(^|,)-1555/.test(csvText), "a number starting with - is defused (or masked)");
    const opCsv = await (await c.fetch("/calls.csv", { role: "operator" })).text();
    assert.ok(opCsv.includes(",'-15550001111,"), "a cell starting with - gets a leading quote");
  }));

Deno.test("call page: timeline, transcript times, figures, analysis, webhooks, Meta's error; 404; recording ranges", () =>
  withConsole(async ({ console: c, ogg }) => {
    const page = await text(
      await c.fetch(`/calls/${encodeURIComponent(PLAYED)}`, { role: "viewer" }),
    );
    assert.equal(page.status, 200);
    assert.ok(!page.body.includes(CALLER), "masked for viewers");
    for (
      const label of [
        "Webhook: Meta&#39;s connect received",
        "pre_accept sent",
        "accept sent",
        "First agent audio on the wire",
        "Keypad: 7",
        "Caller barged in",
        "Tool call: lookup_order",
        "Bridge session ended",
        "Call ended",
      ]
    ) {
      assert.ok(page.body.includes(label), label);
    }
    // Lines sit at their offset from the recording's first frame (301 ms after the webhook).
    assert.match(page.body, /data-start="0\.00" data-end="0\.95"/);
    assert.match(page.body, /data-start="2\.00" data-end="2\.95"/);
    assert.ok(page.body.includes("=HYPERLINK(&quot;http://evil&quot;)"), "escaped in HTML");
    assert.ok(page.body.includes("refund_requested") && page.body.includes("A-17"));
    assert.ok(
      page.body.includes("gpt-realtime"),
      page.body.slice(page.body.indexOf("h-figures"), page.body.indexOf("h-figures") + 800),
    );
    assert.ok(page.body.includes("$0.0123"));
    assert.ok(page.body.includes("call.ended") && page.body.includes("pending"));

    const failed = await text(await c.fetch(`/calls/${FAILED}`, { role: "operator" }));
    assert.match(failed.body, /Meta error 138021: Media receive timeout/);
    assert.match(failed.body, /heard no audio from us/);
    assert.match(failed.body, /No recording for this call/);
    assert.ok(!failed.body.includes("<audio"), "no player for a call without a recording");

    const missing = await text(await c.fetch("/calls/wacid.nope", { role: "operator" }));
    assert.equal(missing.status, 404);
    assert.match(missing.body, /Call not found/);

    const anonymous = await c.fetch(`/calls/${encodeURIComponent(PLAYED)}/recording`);
    await anonymous.body?.cancel();
    assert.notEqual(anonymous.status, 200, "the recording needs sign-in");
    const whole = await c.fetch(`/calls/${encodeURIComponent(PLAYED)}/recording`, {
      role: "viewer",
    });
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-type"), "audio/ogg");
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), ogg);
    const part = await c.fetch(`/calls/${encodeURIComponent(PLAYED)}/recording`, {
      role: "viewer",
      headers: { range: "bytes=4-9" },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 4-9/${ogg.length}`);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), ogg.subarray(4, 10));
    const past = await c.fetch(`/calls/${encodeURIComponent(PLAYED)}/recording`, {
      role: "viewer",
      headers: { range: `bytes=${ogg.length + 5}-` },
    });
    await past.body?.cancel();
    assert.equal(past.status, 416);
  }));

Deno.test({
  ...browserTest(
    "call page in Chromium: the heard line moves as the recording plays, a click seeks; no JS errors, no serious axe findings",
  ),
  fn: () =>
    withConsole(async ({ console: c }) => {
      const browser = await launchBrowser({ args: ["--autoplay-policy=no-user-gesture-required"] });
      try {
        const { page, errors } = await openPage(browser);
        await signIn(page, c, "viewer");
        await page.goto(`${c.url}/calls`, { waitUntil: "load" });
        assert.deepEqual(
          serious(await axeViolations(page)),
          [],
        );

        await page.goto(`${c.url}/calls/${encodeURIComponent(PLAYED)}`, { waitUntil: "load" });
        await page.waitForFunction(
          () => (document.getElementById("recording") as HTMLAudioElement).readyState >= 1,
          { timeout: 10_000 },
        );
        assert.deepEqual(
          serious(await axeViolations(page)),
          [],
        );
        const current = () =>
          page.evaluate(() => {
            const lines = [...document.querySelectorAll("ol.transcript button.line")];
            return lines.findIndex((b) => b.getAttribute("aria-current") === "true");
          });
        assert.equal(await current(), -1, "nothing marked before playing");
        await page.evaluate(() =>
          (document.getElementById("recording") as HTMLAudioElement).play()
        );
        await page.waitForFunction(() =>
          document.querySelectorAll('button.line[aria-current="true"]').length === 1 &&
          document.querySelector('button.line[aria-current="true"]')!.getAttribute("data-start") ===
            "0.00", { timeout: 5_000 });
        // As time passes the mark moves on to the agent's line (1.00 s).
        await page.waitForFunction(() =>
          document.querySelector('button.line[aria-current="true"]')?.getAttribute("data-start") ===
            "1.00", { timeout: 5_000 });
        // A click on the third line plays from 2.00 s and marks it.
        await page.click("ol.transcript li:nth-child(3) button.line");
        const t = await page.evaluate(() =>
          (document.getElementById("recording") as HTMLAudioElement).currentTime
        );
        assert.ok(t >= 2 && t < 2.9, `seeked to ${t}`);
        assert.equal(await current(), 2);
        assert.ok(SCENARIO.frames * 0.02 >= 2.95, "the recording lasts past the last line");
        // A failed call without a recording: no player, so nothing fails to load.
        await page.goto(`${c.url}/calls/${FAILED}`, { waitUntil: "load" });
        assert.deepEqual(serious(await axeViolations(page)), []);
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    }),
});
