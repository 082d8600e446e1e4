/**
 * Opus cost per 20 ms frame of 24 kHz mono voice at the default settings.
 *
 * @module
 */

import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import { FRAME_SAMPLES, OPUS_PCM_RATE, OpusDecoder, OpusEncoder } from "../lib/audio/opus.ts";
import { sine } from "../lib/audio/tone.ts";

const TARGET_US = 100;
const FRAMES = 50;

/** One second of a voice-like mix (pitch harmonics) cut into frames. */
function voiceFrames(): Int16Array[] {
  const parts = [140, 280, 420, 700, 1120, 2300].map((f, i) =>
    sine(f, OPUS_PCM_RATE, FRAMES * FRAME_SAMPLES, 6000 / (i + 1), i)
  );
  const mix = parts[0]!.map((_, j) => parts.reduce((s, p) => s + p[j]!, 0));
  return Array.from(
    { length: FRAMES },
    (_, i) => mix.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES),
  );
}

/** Encode, decode, and their sum, in µs per frame. */
export const suite: BenchSuite = {
  name: "lib/audio/opus",
  run() {
    const frames = voiceFrames();
    const encoder = new OpusEncoder();
    const packets = frames.map((f) => encoder.encode(f));
    const decoder = new OpusDecoder();
    let e = 0;
    let d = 0;
    const encodeUs = timePerCallNs(() => encoder.encode(frames[e++ % FRAMES]!), 500) / 1000;
    const decodeUs = timePerCallNs(() => decoder.decode(packets[d++ % FRAMES]!), 500) / 1000;
    decoder.close();
    const fig = (name: string, value: number): Figure => ({
      name,
      value,
      unit: "µs/frame",
      op: "<=",
      target: TARGET_US,
    });
    return Promise.resolve([
      fig("Opus encode + decode (20 ms frame)", encodeUs + decodeUs),
      fig("Opus encode (20 ms frame)", encodeUs),
      fig("Opus decode (20 ms frame)", decodeUs),
    ]);
  },
};
