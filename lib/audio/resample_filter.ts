/**
 * The resampler's low-pass: a Kaiser-windowed sinc at the intermediate rate
 * `fromHz · up`, cut into `up` polyphase branches of equal length.
 *
 * Band edges are fractions of the lower of the two rates: the passband ends
 * at 0.45 (≪ 0.1 dB ripple) and the stopband starts at 0.55 (≥ 80 dB down,
 * aliases and images alike).
 *
 * @module
 */

import { TAP_MULTIPLE } from "./resample_kernel.ts";

/** End of the passband, as a fraction of the lower rate. */
export const PASS_EDGE = 0.45;
/** Start of the stopband, as a fraction of the lower rate. */
export const STOP_EDGE = 0.55;
/** Attenuation Kaiser's formulas are asked for, with margin over the 80 dB requirement. */
const DESIGN_ATTENUATION_DB = 86;

/** The low-pass of one rate pair, ready to split into polyphase branches. */
export interface ResampleFilter {
  /** Upsampling factor: `toHz / gcd(fromHz, toHz)`. */
  readonly up: number;
  /** Downsampling factor: `fromHz / gcd(fromHz, toHz)`. */
  readonly down: number;
  /** Taps per polyphase branch, a multiple of {@link TAP_MULTIPLE}. */
  readonly taps: number;
  /** The impulse response at `fromHz · up`: odd length `taps · up − 1`, DC gain `up`. */
  readonly coefficients: Float64Array;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/**
 * Kaiser-windowed sinc of odd length `n`, cutoff `fc` (cycles per sample),
 * window shape `beta`, scaled to DC gain `gain`.
 */
function kaiserSinc(n: number, fc: number, beta: number, gain: number): Float64Array {
  const center = (n - 1) / 2;
  const h = new Float64Array(n);
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = i - center;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const r = t / center;
    h[i] = sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
    sum += h[i]!;
  }
  for (let i = 0; i < n; i++) h[i] = (h[i]! * gain) / sum;
  return h;
}

/** Designs the low-pass converting `fromHz` to `toHz` (positive integers, different). */
export function designResampleFilter(fromHz: number, toHz: number): ResampleFilter {
  const g = gcd(fromHz, toHz);
  const up = toHz / g;
  const low = Math.min(fromHz, toHz);
  const a = DESIGN_ATTENUATION_DB;
  // Kaiser's length estimate: N − 1 = (A − 7.95) / (2.285 · Δω).
  const width = (STOP_EDGE - PASS_EDGE) * low / (fromHz * up);
  const estimate = Math.ceil((a - 7.95) / (2.285 * 2 * Math.PI * width)) + 1;
  const taps = Math.ceil(estimate / up / TAP_MULTIPLE) * TAP_MULTIPLE;
  // The kernel runs every tap of the rounded-up branches anyway, so the filter fills them:
  // free attenuation (the estimate alone left the 2:1 pairs at 83 dB, this gives ≥ 85.5 dB).
  const n = taps * up - 1;
  const fc = ((PASS_EDGE + STOP_EDGE) / 2) * low / (fromHz * up);
  const coefficients = kaiserSinc(n, fc, 0.1102 * (a - 8.7), up);
  return { up, down: fromHz / g, taps, coefficients };
}
