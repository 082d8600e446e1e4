/**
 * Tiny signal helpers: a sine generator, a sequence of soft-edged tones (the
 * echo agent's chime, the outside-hours notice) and a Goertzel single-bin
 * power meter for tests and benchmarks.
 *
 * @module
 */

/** `samples` of a sine at `freqHz`, peak `amplitude` (clamped to int16), rounded to nearest. */
export function sine(
  freqHz: number,
  rate: number,
  samples: number,
  amplitude: number,
  phase = 0,
): Int16Array {
  const out = new Int16Array(samples);
  const w = (2 * Math.PI * freqHz) / rate;
  for (let i = 0; i < samples; i++) {
    out[i] = Math.max(-32768, Math.min(32767, Math.round(amplitude * Math.sin(w * i + phase))));
  }
  return out;
}

/**
 * Tones at `freqsHz`, one after another, each `toneSeconds` long with 10 ms
 * raised-cosine edges (no clicks) and peak `amplitude`, then `tailSeconds`
 * of silence, at `rate` Hz.
 */
export function toneSequence(
  freqsHz: readonly number[],
  rate: number,
  toneSeconds: number,
  amplitude: number,
  tailSeconds = 0,
): Int16Array {
  const toneSamples = Math.round(rate * toneSeconds);
  const ramp = Math.round(rate * 0.01);
  const out = new Int16Array(toneSamples * freqsHz.length + Math.round(rate * tailSeconds));
  freqsHz.forEach((hz, k) => {
    for (let i = 0; i < toneSamples; i++) {
      const edge = Math.min(1, i / ramp, (toneSamples - 1 - i) / ramp);
      const env = 0.5 - 0.5 * Math.cos(Math.PI * Math.max(0, edge));
      out[k * toneSamples + i] = Math.round(
        amplitude * env * Math.sin((2 * Math.PI * hz * i) / rate),
      );
    }
  });
  return out;
}

/**
 * Power of the `freqHz` component of `samples`, scaled so a sine of peak `A`
 * whose whole number of cycles fills the block reads `A² / 2` (its mean
 * square). Compare two readings in dB with `10 * log10(p1 / p2)`.
 */
export function goertzelPower(samples: Int16Array, rate: number, freqHz: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / (n * n);
}

/** The candidate frequency with the most Goertzel power in `samples`, and that power. */
export function dominantTone(
  samples: Int16Array,
  rate: number,
  candidates: readonly number[],
): { freqHz: number; power: number } {
  let best = { freqHz: NaN, power: -1 };
  for (const freqHz of candidates) {
    const power = goertzelPower(samples, rate, freqHz);
    if (power > best.power) best = { freqHz, power };
  }
  return best;
}
