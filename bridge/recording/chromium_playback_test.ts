/**
 * The rendered recording in a real browser: headless Chromium (puppeteer-core,
 * Debian's chromium) decodes the Ogg Opus file with Web Audio's
 * `decodeAudioData`, a demuxer and decoder we did not write, and the page
 * reports, per 20 ms frame, each channel's energy and its tone's power.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import puppeteer from "puppeteer-core";
import { CallRecording } from "./call_recording.ts";
import { readRawRecording } from "./raw_recording.ts";
import { renderStereo } from "./stereo_render.ts";
import { MemorySink, runScenario, SCENARIO } from "./scenario_test_utils.ts";

function findChromium(): string | undefined {
  const fromEnv = Deno.env.get("CHROMIUM_PATH");
  if (fromEnv) return fromEnv;
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* next */ }
  }
  return undefined;
}

const chromium = findChromium();

async function renderedScenario(transcode: boolean): Promise<Uint8Array> {
  const sink = new MemorySink();
  await runScenario(new CallRecording("wacid.chromium", sink));
  const chunks: Uint8Array[] = [];
  await renderStereo(readRawRecording(sink.bytes()), (pages) => {
    chunks.push(...pages);
    return Promise.resolve();
  }, { transcode });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

/** In the page: decode, then per 20 ms frame [energy, tone power] for each channel. */
async function analyse(b64: string, tones: [number, number]) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const ctx = new OfflineAudioContext(2, 1, 48000);
  const audio = await ctx.decodeAudioData(bytes.buffer);
  const frame = audio.sampleRate / 50;
  const channels = [0, 1].map((ch) => {
    const data = audio.getChannelData(ch);
    const hz = tones[ch]!;
    const out: Array<[number, number]> = [];
    for (let at = 0; at + frame <= data.length; at += frame) {
      let e = 0;
      let s1 = 0;
      let s2 = 0;
      const coeff = 2 * Math.cos((2 * Math.PI * hz) / audio.sampleRate);
      for (let i = at; i < at + frame; i++) {
        const x = data[i]! * 32768;
        e += x * x;
        const s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      out.push([e / frame, (2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2)) / (frame * frame)]);
    }
    return out;
  });
  return { duration: audio.duration, channels: audio.numberOfChannels, frames: channels };
}

for (const transcode of [false, true]) {
  const form = transcode ? "one stereo stream (fallback)" : "two streams as on the wire";
  Deno.test({
    name: chromium
      ? `Chromium decodes the recording, ${form}: 2 channels, its duration, caller tone left, agent right, barge-in cut`
      : `Chromium decodes the recording, ${form} (ignored: no chromium; install Debian's chromium)`,
    ignore: !chromium,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const ogg = await renderedScenario(transcode);
      // OpusHead's mapping family (byte 18 of the first page's packet, at 28 + 18): 1 = two streams.
      assert.equal(ogg[28 + 18], transcode ? 0 : 1);
      const dir = await Deno.makeTempDir();
      const browser = await puppeteer.launch({
        executablePath: chromium!,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          `--user-data-dir=${join(dir, "p")}`,
        ],
      });
      try {
        const page = await browser.newPage();
        const b64 = btoa(String.fromCharCode(...ogg));
        const tones: [number, number] = [SCENARIO.callerHz, SCENARIO.agentHz];
        const r = await page.evaluate(analyse, b64, tones);
        assert.equal(r.channels, 2);
        assert.ok(Math.abs(r.duration - SCENARIO.frames * 0.02) <= 0.02, `duration ${r.duration}`);
        const [left, right] = r.frames as [Array<[number, number]>, Array<[number, number]>];
        const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
        const loud = 1e6;
        const quiet = 5e4;
        for (const f of range(2, SCENARIO.lostFrom - 1).concat(range(SCENARIO.lostTo + 1, 148))) {
          assert.ok(left[f]![1] > loud, `caller tone left, frame ${f}`);
        }
        for (const f of range(SCENARIO.lostFrom + 1, SCENARIO.lostTo - 1)) {
          assert.ok(left[f]![0] < quiet, `lost stretch silent left, frame ${f}: ${left[f]![0]}`);
        }
        for (const f of range(SCENARIO.agentFrom + 1, SCENARIO.bargeInAt - 1)) {
          assert.ok(right[f]![1] > loud, `agent tone right, frame ${f}`);
        }
        // The barge-in cut: 2.4 s were queued from frame 20, nothing is heard after frame 100.
        for (
          const f of range(0, SCENARIO.agentFrom - 1).concat(range(SCENARIO.bargeInAt + 1, 148))
        ) {
          assert.ok(right[f]![0] < quiet, `agent silent right, frame ${f}: ${right[f]![0]}`);
        }
      } finally {
        await browser.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
