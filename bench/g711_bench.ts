/**
 * G.711 throughput: millions of samples per second for each direction and law.
 *
 * @module
 */

import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from "../lib/audio/g711.ts";
import { sine } from "../lib/audio/tone.ts";

const SAMPLES = 16000;
const TARGET_MSPS = 50;

function figure(name: string, fn: () => unknown): Figure {
  const ns = timePerCallNs(fn, 300);
  return { name, value: (SAMPLES / ns) * 1000, unit: "M samples/s", op: ">=", target: TARGET_MSPS };
}

/** µ-law and A-law encode/decode throughput on one second of 16 kHz audio per call. */
export const suite: BenchSuite = {
  name: "lib/audio/g711",
  run() {
    const pcm = sine(997, 16000, SAMPLES, 20000);
    const mu = encodeMuLaw(pcm);
    const a = encodeALaw(pcm);
    return Promise.resolve([
      figure("G.711 µ-law encode", () => encodeMuLaw(pcm)),
      figure("G.711 µ-law decode", () => decodeMuLaw(mu)),
      figure("G.711 A-law encode", () => encodeALaw(pcm)),
      figure("G.711 A-law decode", () => decodeALaw(a)),
    ]);
  },
};
