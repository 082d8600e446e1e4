import assert from "node:assert/strict";
import { dominantTone, goertzelPower, sine, toneSequence } from "./tone.ts";

Deno.test("sine has the requested amplitude, phase and clamps to int16", () => {
  const s = sine(1000, 8000, 8, 10000);
  assert.deepEqual(Array.from(s), [0, 7071, 10000, 7071, 0, -7071, -10000, -7071]);
  assert.equal(sine(1000, 8000, 1, 10000, Math.PI / 2)[0], 10000);
  const loud = sine(1000, 8000, 8, 40000);
  assert.equal(loud[2], 32767);
  assert.equal(loud[6], -32768);
});

Deno.test("goertzelPower reads A²/2 on-bin and ~0 for an absent tone", () => {
  const s = sine(440, 16000, 16000, 20000);
  const p = goertzelPower(s, 16000, 440);
  assert.ok(Math.abs(10 * Math.log10(p / (20000 ** 2 / 2))) < 0.001, `p=${p}`);
  assert.ok(goertzelPower(s, 16000, 1000) / p < 1e-9);
  assert.equal(goertzelPower(new Int16Array(0), 16000, 440), 0);
});

Deno.test("dominantTone picks the loudest candidate", () => {
  const a = sine(440, 8000, 8000, 3000);
  const b = sine(1000, 8000, 8000, 9000);
  const mix = a.map((v, i) => v + b[i]!);
  assert.equal(dominantTone(mix, 8000, [300, 440, 1000, 2000]).freqHz, 1000);
  assert.equal(dominantTone(a, 8000, [300, 440, 1000, 2000]).freqHz, 440);
});

Deno.test("toneSequence plays each tone in turn with soft edges, then the silent tail", () => {
  const rate = 8000;
  const s = toneSequence([500, 1500], rate, 0.1, 8000, 0.05);
  assert.equal(s.length, 800 * 2 + 400);
  // Raised-cosine edges: each tone starts and ends at zero, so no click.
  assert.equal(s[0], 0);
  assert.equal(s[799], 0);
  assert.equal(s[800], 0);
  const peak = Math.max(...Array.from(s.subarray(0, 1600), Math.abs));
  assert.ok(peak > 7800 && peak <= 8000, `peak ${peak}`);
  assert.equal(dominantTone(s.subarray(100, 700), rate, [500, 1500]).freqHz, 500);
  assert.equal(dominantTone(s.subarray(900, 1500), rate, [500, 1500]).freqHz, 1500);
  assert.ok(s.subarray(1600).every((v) => v === 0));
});
