import assert from "node:assert/strict";
import { OpusDecoder, OpusEncoder } from "../../lib/audio/opus.ts";
import { sine } from "../../lib/audio/tone.ts";
import { loopedTone, ToneCounter } from "./tone_count.ts";

Deno.test("ToneCounter counts each second's frames per tone and releases them", () => {
  const frames: Int16Array[] = [];
  const counter = new ToneCounter(frames, [440, 1000]);
  for (let i = 0; i < 30; i++) frames.push(sine(440, 24000, 480, 8000));
  for (let i = 0; i < 10; i++) frames.push(new Int16Array(480));
  const first = counter.take();
  assert.deepEqual(first, { sec: 0, frames: 40, tones: { 440: 30, 1000: 0 } });
  assert.equal(frames.length, 0, "released");
  for (let i = 0; i < 5; i++) frames.push(sine(1000, 24000, 480, 8000));
  assert.deepEqual(counter.take(), { sec: 1, frames: 5, tones: { 440: 0, 1000: 5 } });
});

Deno.test("loopedTone: one second of Opus that decodes to the tone, looping cleanly", () => {
  const enc = new OpusEncoder();
  const packets = loopedTone((pcm) => enc.encode(pcm), 440);
  assert.equal(packets.length, 50);
  const dec = new OpusDecoder();
  const heard: Int16Array[] = [];
  for (let i = 0; i < 100; i++) {
    const pcm = dec.decode(packets[i % 50]!);
    if (pcm instanceof Int16Array) heard.push(pcm);
  }
  const counter = new ToneCounter(heard.slice(5), [440, 1000]);
  const s = counter.take();
  assert.ok(s.tones[440]! >= s.frames - 1, JSON.stringify(s));
});
