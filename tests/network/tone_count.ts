/**
 * Per-second tone counts for the network tests' call nodes: how many 20 ms
 * frames of the last second carried each tone, so the test can judge a 60 s
 * call window by window without shipping audio across the pipe.
 *
 * @module
 */
import { classifyFrames } from "../e2e/tones.ts";

/** Tone counts of one second of one side's received audio. */
export interface ToneSecond {
  /** Whole seconds since the node started counting. */
  sec: number;
  /** Frames received in this second. */
  frames: number;
  /** Frames per candidate tone (keyed by Hz). */
  tones: Record<string, number>;
}

/** Counts tones in frames appended to `frames` since the last call. */
export class ToneCounter {
  #next = 0;
  #sec = 0;

  /** Watches `frames` (an array the caller keeps appending to) for `candidates`. */
  constructor(readonly frames: Int16Array[], readonly candidates: readonly number[]) {}

  /** Counts the frames that arrived since the previous call; drops them if `release`. */
  take(release = true): ToneSecond {
    const fresh = this.frames.slice(this.#next);
    this.#next = this.frames.length;
    if (release) {
      // Keep memory flat over a long call: the counts are all anyone reads.
      this.frames.length = 0;
      this.#next = 0;
    }
    const tones: Record<string, number> = {};
    for (const hz of this.candidates) tones[hz] = 0;
    for (const f of classifyFrames(fresh, [], this.candidates)) {
      if (f.hz !== null) tones[f.hz] = (tones[f.hz] ?? 0) + 1;
    }
    return { sec: this.#sec++, frames: fresh.length, tones };
  }
}

/** Pre-encodes one second of `hz` (a whole number of cycles, so it loops without a click). */
export function loopedTone(encode: (pcm: Int16Array) => Uint8Array, hz: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const w = (2 * Math.PI * hz) / 24000;
  for (let f = 0; f < 50; f++) {
    const pcm = new Int16Array(480);
    for (let i = 0; i < 480; i++) pcm[i] = Math.round(8000 * Math.sin(w * (f * 480 + i)));
    frames.push(encode(pcm));
  }
  return frames;
}
