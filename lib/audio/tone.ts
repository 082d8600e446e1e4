/**
 * Tiny signal helpers for tests and benchmarks: a sine generator and a
 * Goertzel single-bin power meter.
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
