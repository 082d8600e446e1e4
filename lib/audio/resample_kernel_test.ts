import assert from "node:assert/strict";
import { instantiateKernel, TAP_MULTIPLE } from "./resample_kernel.ts";

Deno.test("kernel: dot products, stepping, ties-to-even rounding and int16 clamping", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const run = instantiateKernel(memory);
  const f32 = new Float32Array(memory.buffer);
  const taps = TAP_MULTIPLE;
  // Two branches at byte 0: branch 0 sums its window, branch 1 takes 1e4 × its newest sample.
  f32.fill(1, 0, taps);
  f32[2 * taps - 1] = 10000;
  const hist = 64; // float index 64 = byte 256
  f32.set([0.25, 0.25, 1, 1, 1, 1, 1, 1, 0.5, 4, -9, 0, 0, 0, 0, 0], hist);
  // up = 2, down = 1: the window advances every other output, the branch alternates.
  run(0, hist * 4, 1024, 8, taps, 0, 0, 0, 1, 2);
  assert.deepEqual(Array.from(new Int16Array(memory.buffer, 1024, 8)), [
    6, // Σ hist[0..7] = 6.5, ties to even
    10000, // 1e4 × hist[7]
    7, // Σ hist[1..8] = 6.75
    5000, // 1e4 × hist[8]
    10, // Σ hist[2..9] = 10.5, ties to even
    32767, // 1e4 × 4, clamped
    0, // Σ hist[3..10] = 0.5, ties to even
    -32768, // 1e4 × -9, clamped
  ]);
});
