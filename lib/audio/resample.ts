/**
 * Streaming polyphase windowed-sinc (Kaiser) resampler for int16 mono PCM.
 *
 * The rational ratio `toHz/fromHz = up/down` is realised as upsample by `up`,
 * low-pass at the intermediate rate, downsample by `down`, evaluating only the
 * taps that land on real input samples (polyphase). The low-pass has its
 * passband edge at 0.45 and its stopband edge at 0.55 of the lower of the two
 * rates, ≥ 80 dB stopband attenuation and ≪ 0.1 dB passband ripple.
 *
 * Output is time-aligned with input (the filter's group delay is removed: output
 * sample `n` is the signal at time `n / toHz`), so `process` holds back
 * {@link Resampler.delaySamples} output samples until enough input has arrived;
 * `flush` releases them. Output depends only on the concatenated input, never
 * on how it was chunked. The dot products run in a small WebAssembly SIMD
 * kernel over float32 coefficients and history.
 *
 * @module
 */

import { designResampleFilter } from "./resample_filter.ts";
import { instantiateKernel, type Kernel } from "./resample_kernel.ts";

/**
 * A streaming sample-rate converter between any two rates with a rational ratio
 * (tested for every pair of 8, 16, 24 and 48 kHz); equal rates pass through.
 *
 * Every `process` and `flush` call returns a fresh `Int16Array` the caller owns;
 * input chunks are only read.
 */
export class Resampler {
  /** Input rate in Hz. */
  readonly fromHz: number;
  /** Output rate in Hz. */
  readonly toHz: number;
  /** Latency the filter adds, in output samples (may be fractional). */
  readonly delaySamples: number;
  /** Latency the filter adds, in milliseconds. */
  readonly delayMs: number;

  readonly #up: number;
  readonly #down: number;
  /** Taps per polyphase branch (see {@linkcode designResampleFilter}). */
  readonly #taps: number;
  /** Half the filter length at the intermediate rate: the group delay being compensated. */
  readonly #center: number;
  /** Linear memory: branch-major reversed coefficients, then output, then history. */
  readonly #memory: WebAssembly.Memory;
  readonly #kernel: Kernel | undefined;
  /** Byte offsets of the output and history regions. */
  #outAt = 0;
  #histAt = 0;
  /** Largest chunk the regions hold. */
  #capacity = 0;
  /** History view: `#taps - 1` past samples, then the current chunk. */
  #hist = new Float32Array(0);
  /** Input samples consumed since the start (or the last flush). */
  #inCount = 0;
  /** Output samples produced since the start (or the last flush). */
  #outCount = 0;

  /** Creates a converter from `fromHz` to `toHz` (positive integers). */
  constructor(fromHz: number, toHz: number) {
    if (!Number.isInteger(fromHz) || !Number.isInteger(toHz) || fromHz <= 0 || toHz <= 0) {
      throw new RangeError(`rates must be positive integers, got ${fromHz} → ${toHz}`);
    }
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.#memory = new WebAssembly.Memory({ initial: 1 });
    if (fromHz === toHz) {
      this.#up = 1;
      this.#down = 1;
      this.#taps = 0;
      this.#center = 0;
    } else {
      const { up, down, taps, coefficients: h } = designResampleFilter(fromHz, toHz);
      this.#up = up;
      this.#down = down;
      const coef = new Float32Array(this.#memory.buffer, 0, up * taps);
      // Branch p holds h[p + k·up] (zero past the end), stored reversed at taps-1-k
      // so each dot product walks the history forward.
      for (let p = 0; p < up; p++) {
        for (let k = 0; k < taps; k++) coef[p * taps + taps - 1 - k] = h[p + k * up] ?? 0;
      }
      this.#taps = taps;
      this.#center = (h.length - 1) / 2;
      this.#kernel = instantiateKernel(this.#memory);
      this.#reserve(960);
    }
    this.delaySamples = this.#center / this.#down;
    this.delayMs = (this.#center / (fromHz * this.#up)) * 1000;
  }

  /** Converts the next chunk of input; returns the output it completes (possibly empty). */
  process(chunk: Int16Array): Int16Array {
    if (this.#kernel === undefined) return chunk.slice();
    return this.#run(chunk);
  }

  /**
   * Returns the remaining output (the last {@link delaySamples}, as if the input
   * were followed by silence) so the total output is `ceil(inputs · toHz / fromHz)`
   * samples, then resets to the initial state for a new stream.
   */
  flush(): Int16Array {
    if (this.#kernel === undefined) return new Int16Array(0);
    // Zeros past the end let the last outputs see their whole filter span.
    const padding = new Int16Array(Math.ceil(this.#center / this.#up) + 1);
    const out = this.#run(padding, Math.ceil((this.#inCount * this.#up) / this.#down));
    this.#inCount = 0;
    this.#outCount = 0;
    this.#hist.fill(0);
    return out;
  }

  /** Lays out (growing memory if needed) room for chunks of up to `capacity` samples. */
  #reserve(capacity: number): void {
    const keep = this.#taps - 1;
    const history = this.#hist.slice(0, keep);
    const align = (n: number) => Math.ceil(n / 16) * 16;
    const outAt = align(this.#up * this.#taps * 4);
    const histAt = align(outAt + (Math.ceil((capacity * this.#up) / this.#down) + 1) * 2);
    const bytes = histAt + (keep + capacity) * 4 + 16;
    const pages = Math.ceil(bytes / 65536) - this.#memory.buffer.byteLength / 65536;
    if (pages > 0) this.#memory.grow(pages);
    this.#outAt = outAt;
    this.#histAt = histAt;
    this.#capacity = capacity;
    this.#hist = new Float32Array(this.#memory.buffer, histAt, keep + capacity);
    this.#hist.set(history);
  }

  /**
   * Appends `chunk` and emits every output whose filter span ends within the
   * input known so far, stopping at `limit` outputs in total when given.
   */
  #run(chunk: Int16Array, limit = Infinity): Int16Array {
    const n = chunk.length;
    if (n > this.#capacity) this.#reserve(Math.max(n, this.#capacity * 2));
    const keep = this.#taps - 1;
    const hist = this.#hist;
    for (let i = 0; i < n; i++) hist[keep + i] = chunk[i]!;

    const up = this.#up;
    const down = this.#down;
    const available = this.#inCount + n;
    // Output m needs input up to floor((m·down + center) / up) < available.
    const ready = Math.min(limit, Math.ceil((available * up - this.#center) / down));
    const count = Math.max(0, ready - this.#outCount);
    const pos = this.#outCount * down + this.#center;
    const last = Math.floor(pos / up); // newest input sample output #outCount depends on
    const stepLast = Math.floor(down / up);
    this.#kernel!(
      0,
      this.#histAt,
      this.#outAt,
      count,
      this.#taps,
      last - this.#inCount, // hist index of the window's oldest sample
      pos - last * up,
      stepLast,
      down - stepLast * up,
      up,
    );
    this.#outCount += count;
    this.#inCount = available;
    hist.copyWithin(0, n, n + keep);
    return new Int16Array(this.#memory.buffer, this.#outAt, count).slice();
  }
}

/** A whole clip from `fromHz` to `toHz` in one go (a WAV file, a greeting); the same array when the rates match. */
export function resampleClip(pcm: Int16Array, fromHz: number, toHz: number): Int16Array {
  if (fromHz === toHz) return pcm;
  const resampler = new Resampler(fromHz, toHz);
  const head = resampler.process(pcm);
  const tail = resampler.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
