import assert from "node:assert/strict";
import { designResampleFilter, PASS_EDGE, STOP_EDGE } from "./resample_filter.ts";
import { TAP_MULTIPLE } from "./resample_kernel.ts";

const RATES = [8000, 16000, 24000, 48000];
const PAIRS = RATES.flatMap((a) => RATES.filter((b) => b !== a).map((b) => [a, b] as const));

/**
 * |H(f)| relative to the DC gain `up`, in dB, of the float32 taps the kernel
 * runs, at `freqHz` of the intermediate rate.
 */
function responseDb(h: Float64Array, rate: number, up: number, freqHz: number): number {
  const w = (2 * Math.PI * freqHz) / rate;
  let re = 0;
  let im = 0;
  for (let i = 0; i < h.length; i++) {
    const c = Math.fround(h[i]!);
    re += c * Math.cos(w * i);
    im -= c * Math.sin(w * i);
  }
  return 20 * Math.log10(Math.hypot(re, im) / up);
}

Deno.test("filter: ≥ 80 dB down at exactly 0.55 × the lower rate and everywhere above it", () => {
  for (const [from, to] of PAIRS) {
    const { up, coefficients } = designResampleFilter(from, to);
    const rate = from * up;
    const low = Math.min(from, to);
    // From the band edge itself to the intermediate Nyquist, in steps far finer than a sidelobe
    // (≈ rate / taps wide).
    const step = low / 1000;
    let worst = { db: -Infinity, freqHz: NaN };
    for (let f = STOP_EDGE * low; f <= rate / 2; f += step) {
      const db = responseDb(coefficients, rate, up, f);
      if (db > worst.db) worst = { db, freqHz: f };
    }
    const edge = responseDb(coefficients, rate, up, STOP_EDGE * low);
    assert.ok(edge <= -80, `${from}→${to} at ${STOP_EDGE * low} Hz: ${edge.toFixed(2)} dB`);
    assert.ok(
      worst.db <= -80,
      `${from}→${to}: ${worst.db.toFixed(2)} dB at ${(worst.freqHz / low).toFixed(4)} × ${low}`,
    );
  }
});

Deno.test("filter: passband within 0.1 dB up to 0.45 × the lower rate", () => {
  for (const [from, to] of PAIRS) {
    const { up, coefficients } = designResampleFilter(from, to);
    const low = Math.min(from, to);
    for (let f = 0; f <= PASS_EDGE * low; f += low / 500) {
      const db = responseDb(coefficients, from * up, up, f);
      assert.ok(Math.abs(db) <= 0.1, `${from}→${to} at ${f} Hz: ${db.toFixed(4)} dB`);
    }
  }
});

Deno.test("filter: fills whole polyphase branches with an odd, symmetric response", () => {
  for (const [from, to] of PAIRS) {
    const { up, down, taps, coefficients: h } = designResampleFilter(from, to);
    assert.equal(up * from, down * to);
    assert.equal(taps % TAP_MULTIPLE, 0);
    assert.equal(h.length, taps * up - 1);
    for (let i = 0; i < h.length; i++) assert.equal(h[i], h[h.length - 1 - i]);
  }
});
