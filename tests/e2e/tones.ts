/**
 * Reading test tones back out of real audio: what the simulated caller heard
 * (20 ms frames with arrival times) and what the fake OpenAI received (base64
 * PCM in `input_audio_buffer.append`). Every end-to-end scenario speaks in
 * distinct sine tones so each side's audio is recognisable after Opus,
 * resampling and the network.
 *
 * @module
 */
import { base64ToInt16, PcmDecodeError, rms } from "../../lib/audio/pcm.ts";
import { dominantTone } from "../../lib/audio/tone.ts";
import type { FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { concatPcm } from "../../lib/audio/pcm.ts";

/** Sample rate of everything here. */
export const RATE = 24000;

/** One frame the caller heard. */
export interface HeardFrame {
  /** Arrival time, performance.now ms. */
  at: number;
  rms: number;
  /** The candidate tone the frame carries, or null for silence or anything else. */
  hz: number | null;
}

/**
 * Names each frame's tone: the strongest of `candidates` when the frame is
 * louder than `minRms` and that tone holds at least `purity` of its energy
 * (speech-like or mixed audio gets null).
 */
export function classifyFrames(
  frames: readonly Int16Array[],
  at: readonly number[],
  candidates: readonly number[],
  { minRms = 300, purity = 0.3 }: { minRms?: number; purity?: number } = {},
): HeardFrame[] {
  return frames.map((frame, i) => {
    const level = rms(frame);
    let hz: number | null = null;
    if (level >= minRms) {
      const best = dominantTone(frame, RATE, candidates);
      if (best.power >= purity * level * level) hz = best.freqHz;
    }
    return { at: at[i] ?? NaN, rms: level, hz };
  });
}

/** The concatenation of the `windowMs` windows of `pcm` louder than `minRms`. */
export function voicedPart(pcm: Int16Array, minRms = 500, windowMs = 10): Int16Array {
  const n = (RATE / 1000) * windowMs;
  const kept: Int16Array[] = [];
  for (let i = 0; i + n <= pcm.length; i += n) {
    const w = pcm.subarray(i, i + n);
    if (rms(w) >= minRms) kept.push(w);
  }
  return concatPcm(kept);
}

/**
 * The share of `pcm`'s 20 ms frames that carry `hz` (see
 * {@linkcode classifyFrames}). Judged frame by frame, so packet loss
 * concealment or a skipped frame (phase jumps) cannot hide a tone.
 */
export function toneShare(pcm: Int16Array, hz: number, candidates: readonly number[]): number {
  const frames: Int16Array[] = [];
  for (let i = 0; i + 480 <= pcm.length; i += 480) frames.push(pcm.subarray(i, i + 480));
  if (frames.length === 0) return 0;
  const named = classifyFrames(frames, [], candidates, { minRms: 0 });
  return named.filter((f) => f.hz === hz).length / frames.length;
}

/** All caller audio the fake OpenAI received (on one connection, or all), in order. */
export function appendedAudio(fake: FakeRealtimeServer, connection?: number): Int16Array {
  const parts = fake.receivedOf("input_audio_buffer.append", connection).map((e) => {
    const pcm = base64ToInt16(String(e.audio));
    if (pcm instanceof PcmDecodeError) throw pcm;
    return pcm;
  });
  return concatPcm(parts);
}
