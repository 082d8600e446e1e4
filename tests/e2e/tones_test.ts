import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import { int16ToBase64 } from "../../lib/audio/pcm.ts";
import { FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { appendedAudio, classifyFrames, toneShare, voicedPart } from "./tones.ts";

const CANDIDATES = [440, 700, 1100];

function frames(pcm: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + 480 <= pcm.length; i += 480) out.push(pcm.subarray(i, i + 480));
  return out;
}

Deno.test("classifyFrames names tones, and silence or noise as null", () => {
  const noise = Int16Array.from({ length: 480 }, (_, i) => ((i * 7919) % 2001) * 8 - 8000);
  const pcm = concatPcm([
    sine(700, 24000, 960, 8000),
    new Int16Array(480),
    noise,
    sine(440, 24000, 480, 8000),
  ]);
  const named = classifyFrames(frames(pcm), [0, 20, 40, 60, 80], CANDIDATES);
  assert.deepEqual(named.map((f) => f.hz), [700, 700, null, null, 440]);
  assert.deepEqual(named.map((f) => f.at), [0, 20, 40, 60, 80]);
  assert.ok(Math.abs(named[0]!.rms - 8000 / Math.SQRT2) < 50);
});

Deno.test("voicedPart keeps loud windows; toneShare counts frames, not phase", () => {
  const a = sine(440, 24000, 4800, 8000);
  const b = sine(440, 24000, 4800, 8000, Math.PI / 2); // a phase jump, as after a lost packet
  const voiced = voicedPart(concatPcm([a, new Int16Array(2400), b]));
  assert.equal(voiced.length, 9600);
  assert.equal(toneShare(voiced, 440, CANDIDATES), 1);
  assert.equal(toneShare(voiced, 700, CANDIDATES), 0);
  assert.equal(toneShare(new Int16Array(0), 440, CANDIDATES), 0);
});

Deno.test("appendedAudio decodes what a Realtime client appended, per connection", async () => {
  const fake = FakeRealtimeServer.start({ apiKey: "k" });
  const init = { headers: { Authorization: "Bearer k" } };
  const ws = new WebSocket(`${fake.url}?model=m`, init as unknown as string[]);
  try {
    await new Promise((r) => ws.addEventListener("open", r, { once: true }));
    const tone = sine(440, 24000, 960, 8000);
    ws.send(JSON.stringify({ type: "input_audio_buffer.append", audio: int16ToBase64(tone) }));
    await fake.waitForEvent("input_audio_buffer.append");
    assert.deepEqual(appendedAudio(fake), tone);
    assert.deepEqual(appendedAudio(fake, 1), tone);
    assert.equal(appendedAudio(fake, 2).length, 0);
  } finally {
    const closed = new Promise((r) => ws.addEventListener("close", r, { once: true }));
    ws.close();
    await closed;
    await fake.close();
  }
});
