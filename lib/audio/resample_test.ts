import assert from "node:assert/strict";
import { Resampler } from "./resample.ts";
import { goertzelPower, sine } from "./tone.ts";

const RATES = [8000, 16000, 24000, 48000];
const PAIRS = RATES.flatMap((a) => RATES.filter((b) => b !== a).map((b) => [a, b] as const));
const AMPLITUDE = 30000;
const FULL_POWER = AMPLITUDE ** 2 / 2;

function oneShot(from: number, to: number, input: Int16Array): Int16Array {
  const r = new Resampler(from, to);
  const a = r.process(input);
  const b = r.flush();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Level in dB, relative to the input tone, of `freqHz` in the steady-state middle of the output. */
function levelDb(from: number, to: number, inHz: number, outHz: number): number {
  // 1.2 s in; measure 1 s (whole cycles for integer-Hz tones) after 0.1 s of settling.
  const out = oneShot(from, to, sine(inHz, from, (from * 6) / 5, AMPLITUDE));
  const window = out.subarray(to / 10, to / 10 + to);
  return 10 * Math.log10(goertzelPower(window, to, outHz) / FULL_POWER);
}

function xorshift(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

Deno.test("identity for equal rates", () => {
  const r = new Resampler(16000, 16000);
  const x = sine(440, 16000, 100, 1000);
  const y = r.process(x);
  assert.deepEqual(y, x);
  assert.notEqual(y, x); // a fresh array the caller owns
  assert.equal(r.flush().length, 0);
  assert.equal(r.delayMs, 0);
});

Deno.test("rejects non-integer or non-positive rates", () => {
  assert.throws(() => new Resampler(0, 8000), RangeError);
  assert.throws(() => new Resampler(8000.5, 16000), RangeError);
});

Deno.test("delay ≤ 4 ms and output length is ceil(in · to / from)", () => {
  for (const [from, to] of PAIRS) {
    const r = new Resampler(from, to);
    assert.ok(r.delayMs > 0 && r.delayMs <= 4, `${from}→${to}: ${r.delayMs} ms`);
    assert.ok(Math.abs(r.delaySamples - (r.delayMs * to) / 1000) < 1e-9);
    for (const n of [0, 1, 7, 160, 1001]) {
      assert.equal(oneShot(from, to, new Int16Array(n)).length, Math.ceil((n * to) / from));
    }
  }
});

Deno.test("any chunking gives output bit-identical to one-shot processing", () => {
  const rnd = xorshift(12345);
  for (const [from, to] of PAIRS) {
    const n = from / 10 + 37;
    const input = Int16Array.from({ length: n }, () => Math.round((rnd() - 0.5) * 60000));
    const expected = oneShot(from, to, input);
    for (let trial = 0; trial < 3; trial++) {
      const r = new Resampler(from, to);
      const parts: Int16Array[] = [];
      let i = 0;
      while (i < n) {
        const len = trial === 0 ? 1 : Math.floor(rnd() * 700);
        parts.push(r.process(input.subarray(i, i + len)));
        i += len;
      }
      parts.push(r.flush());
      const got = new Int16Array(parts.reduce((s, p) => s + p.length, 0));
      let o = 0;
      for (const p of parts) got.set(p, (o += p.length) - p.length);
      assert.deepEqual(got, expected, `${from}→${to} trial ${trial}`);
    }
    // flush resets: the same resampler reproduces the stream.
    const r = new Resampler(from, to);
    r.process(input);
    r.flush();
    const again = r.process(input);
    assert.deepEqual(again, expected.subarray(0, again.length));
  }
});

Deno.test("output is time-aligned with input (group delay compensated)", () => {
  for (const [from, to] of PAIRS) {
    // An impulse at input time t peaks at output time t.
    const input = new Int16Array(from / 100);
    input[from / 200] = 20000;
    const out = oneShot(from, to, input);
    const peak = out.indexOf(Math.max(...out));
    assert.equal(peak, to / 200, `${from}→${to}`);
  }
});

Deno.test("passband: tones up to 0.45 × lower rate within 0.1 dB", () => {
  for (const [from, to] of PAIRS) {
    const low = Math.min(from, to);
    for (const frac of [0.01, 0.1, 0.25, 0.35, 0.42, 0.45]) {
      const f = Math.round(frac * low);
      const db = levelDb(from, to, f, f);
      assert.ok(Math.abs(db) <= 0.1, `${from}→${to} at ${f} Hz: ${db.toFixed(4)} dB`);
    }
  }
});

/** 0.55 exactly, then every 0.0025 up to 0.6: the first sidelobes past the stopband edge. */
const EDGE_SWEEP = Array.from({ length: 21 }, (_, i) => 0.55 + i * 0.0025);

Deno.test("downsampling: input tones from exactly 0.55 × output rate up alias ≤ -80 dB", () => {
  for (const [from, to] of PAIRS.filter(([a, b]) => a > b)) {
    for (const frac of [...EDGE_SWEEP, 0.75, 0.9, 1.3, 2.4]) {
      const f = Math.round(frac * to);
      if (f >= from / 2) continue;
      // The alias of f in the output band [0, to/2].
      const m = f % to;
      const alias = m <= to / 2 ? m : to - m;
      const db = levelDb(from, to, f, alias);
      assert.ok(db <= -80, `${from}→${to}: ${f} Hz → alias ${alias} Hz at ${db.toFixed(1)} dB`);
    }
  }
});

Deno.test("upsampling: images from exactly 0.55 × input rate up are ≤ -80 dB", () => {
  for (const [from, to] of PAIRS.filter(([a, b]) => a < b)) {
    // A tone at 1 − x puts its first image at x × the input rate.
    for (const frac of [0.05, 0.3, ...EDGE_SWEEP.map((x) => 1 - x)]) {
      const f = Math.round(frac * from);
      // Images sit at k·from ± f for every k below the output Nyquist.
      for (let k = 1; k * from - f < to / 2; k++) {
        for (const image of [k * from - f, k * from + f]) {
          if (image >= to / 2) continue;
          const db = levelDb(from, to, f, image);
          assert.ok(
            db <= -80,
            `${from}→${to}: ${f} Hz image at ${image} Hz is ${db.toFixed(1)} dB`,
          );
        }
      }
    }
  }
});
