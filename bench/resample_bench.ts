/**
 * Resampler speed: seconds of audio converted per second of CPU, fed in 20 ms
 * chunks, for each of the 12 pairs of 8, 16, 24 and 48 kHz.
 *
 * @module
 */

import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import { Resampler } from "../lib/audio/resample.ts";
import { sine } from "../lib/audio/tone.ts";

const RATES = [8000, 16000, 24000, 48000];
const TARGET_REALTIME = 500;

/** One figure per rate pair: one second of audio per timed call, in 50 chunks. */
export const suite: BenchSuite = {
  name: "lib/audio/resample",
  run() {
    const figures: Figure[] = [];
    for (const from of RATES) {
      const chunk = from / 50;
      const input = sine(440, from, from, 20000);
      for (const to of RATES) {
        if (to === from) continue;
        const r = new Resampler(from, to);
        const ns = timePerCallNs(() => {
          let out = 0;
          for (let i = 0; i < from; i += chunk) {
            out += r.process(input.subarray(i, i + chunk)).length;
          }
          return out;
        }, 200);
        figures.push({
          name: `resample ${from / 1000}→${to / 1000} kHz`,
          value: 1e9 / ns,
          unit: "× real time",
          op: ">=",
          target: TARGET_REALTIME,
        });
      }
    }
    return Promise.resolve(figures);
  },
};
