import assert from "node:assert/strict";
import { Encoder } from "@evan/opus";
import { OpusEncoder } from "../../lib/audio/opus.ts";
import { sine } from "../../lib/audio/tone.ts";
import { CallRecording } from "./call_recording.ts";
import { readRawRecording } from "./raw_recording.ts";
import { renderStereo } from "./stereo_render.ts";
import { decodeStereoOgg, framePowers, MemorySink } from "./scenario_test_utils.ts";

/** 10 s of a call whose caller sends `callerPacket(n)` for each of its `ms`-long packets. */
async function render(callerMs: 20 | 40, callerPacket: (n: number) => Uint8Array) {
  const sink = new MemorySink();
  const rec = new CallRecording("wacid.fallback", sink);
  const agent = new OpusEncoder().encode(sine(1000, 24000, 480, 8000));
  const per = callerMs / 20;
  for (let f = 0; f < 500; f++) {
    rec.agentPayload(agent, (f * 960) >>> 0);
    if (f % per === 0) rec.callerPayload(callerPacket(f / per), f * 960, (f + 1) * 960);
  }
  await rec.close();
  const chunks: Uint8Array[] = [];
  const result = await renderStereo(readRawRecording(sink.bytes()), (p) => {
    chunks.push(...p);
    return Promise.resolve();
  });
  const ogg = new Uint8Array(result.bytes);
  chunks.reduce((at, c) => (ogg.set(c, at), at + c.length), 0);
  return { result, ogg };
}

function callerEncoder(bitrate: number): Encoder {
  const e = new Encoder({ channels: 1, sample_rate: 24000, application: "audio" });
  e.bitrate = bitrate;
  return e;
}

Deno.test("render: a caller far above the usual bitrate is transcoded, keeping the file under 0.5 MB a minute", async () => {
  const enc = callerEncoder(96000);
  const tone = sine(440, 24000, 480, 8000);
  const { result, ogg } = await render(20, () => enc.encode(tone));
  assert.equal(ogg[28 + 18], 0, "one coupled stereo stream (mapping family 0)");
  const mbPerMinute = result.bytes / 1e6 / (result.durationMs / 60000);
  assert.ok(mbPerMinute <= 0.5, `${mbPerMinute} MB/min`);
  const { left, right } = decodeStereoOgg(ogg);
  assert.ok(framePowers(left, 440)[250]!.tone > 1e6);
  assert.ok(framePowers(right, 1000)[250]!.tone > 1e6);
});

Deno.test("render: a caller sending 40 ms packets is decoded and placed frame by frame", async () => {
  const enc = callerEncoder(24000);
  enc.expert_frame_duration = 40;
  const tone = sine(440, 24000, 960, 8000);
  const { result, ogg } = await render(40, () => enc.encode(tone));
  assert.equal(ogg[28 + 18], 0, "transcoded: 40 ms cannot pair with the agent's 20 ms");
  assert.equal(result.durationMs, 500 * 20);
  const { left } = decodeStereoOgg(ogg);
  const l = framePowers(left, 440);
  // Both halves of each 40 ms packet are heard: no every-other-frame gaps.
  for (const f of [100, 101, 102, 103, 250, 251]) assert.ok(l[f]!.tone > 1e6, `frame ${f}`);
});
