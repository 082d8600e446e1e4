import assert from "node:assert/strict";
import { decodeALaw, decodeMuLaw, encodeALaw, encodeMuLaw } from "./g711.ts";

// An independent, line-by-line transcription of Sun Microsystems' g711.c
// (linear2ulaw/ulaw2linear/linear2alaw/alaw2linear with segment end tables).
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SIGN_BIT = 0x80;
const QUANT_MASK = 0xf;
const SEG_SHIFT = 4;
const SEG_MASK = 0x70;
const BIAS = 0x84;
const CLIP = 8159;

function search(val: number, table: number[], size: number): number {
  for (let i = 0; i < size; i++) if (val <= table[i]!) return i;
  return size;
}

function linear2alaw(pcmVal: number): number {
  let mask: number;
  pcmVal = pcmVal >> 3;
  if (pcmVal >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcmVal = -pcmVal - 1;
  }
  const seg = search(pcmVal, SEG_AEND, 8);
  if (seg >= 8) return (0x7f ^ mask) & 0xff;
  let aval = (seg << SEG_SHIFT) & 0xff;
  if (seg < 2) aval |= (pcmVal >> 1) & QUANT_MASK;
  else aval |= (pcmVal >> seg) & QUANT_MASK;
  return (aval ^ mask) & 0xff;
}

function alaw2linear(aVal: number): number {
  aVal = (aVal ^ 0x55) & 0xff;
  let t = (aVal & QUANT_MASK) << 4;
  const seg = (aVal & SEG_MASK) >> SEG_SHIFT;
  switch (seg) {
    case 0:
      t += 8;
      break;
    case 1:
      t += 0x108;
      break;
    default:
      t += 0x108;
      t <<= seg - 1;
  }
  return aVal & SIGN_BIT ? t : -t;
}

function linear2ulaw(pcmVal: number): number {
  let mask: number;
  pcmVal = pcmVal >> 2;
  if (pcmVal < 0) {
    pcmVal = -pcmVal;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcmVal > CLIP) pcmVal = CLIP;
  pcmVal += BIAS >> 2;
  const seg = search(pcmVal, SEG_UEND, 8);
  if (seg >= 8) return (0x7f ^ mask) & 0xff;
  const uval = ((seg << 4) | ((pcmVal >> (seg + 1)) & 0xf)) & 0xff;
  return (uval ^ mask) & 0xff;
}

function ulaw2linear(uVal: number): number {
  uVal = ~uVal & 0xff;
  let t = ((uVal & QUANT_MASK) << 3) + BIAS;
  t <<= (uVal & SEG_MASK) >> SEG_SHIFT;
  return uVal & SIGN_BIT ? BIAS - t : t - BIAS;
}

const ALL_INT16 = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

Deno.test("µ-law encode matches g711.c for all 65,536 inputs", () => {
  const got = encodeMuLaw(ALL_INT16);
  for (let i = 0; i < ALL_INT16.length; i++) {
    const s = ALL_INT16[i]!;
    if (got[i] !== linear2ulaw(s)) assert.fail(`µ-law(${s}) = ${got[i]}, want ${linear2ulaw(s)}`);
  }
});

Deno.test("A-law encode matches g711.c for all 65,536 inputs", () => {
  const got = encodeALaw(ALL_INT16);
  for (let i = 0; i < ALL_INT16.length; i++) {
    const s = ALL_INT16[i]!;
    if (got[i] !== linear2alaw(s)) assert.fail(`A-law(${s}) = ${got[i]}, want ${linear2alaw(s)}`);
  }
});

Deno.test("µ-law and A-law decode match g711.c for all 256 codes", () => {
  assert.deepEqual(Array.from(decodeMuLaw(ALL_BYTES)), Array.from(ALL_BYTES, ulaw2linear));
  assert.deepEqual(Array.from(decodeALaw(ALL_BYTES)), Array.from(ALL_BYTES, alaw2linear));
});

Deno.test("known vectors", () => {
  const pcm = Int16Array.of(0, -1, 1, 32767, -32768, 1000, -1000, 4, 16);
  // Hand-checked against g711.c: µ-law truncates to 14 bits then adds bias 33.
  assert.deepEqual(
    Array.from(encodeMuLaw(pcm)),
    [0xff, 0x7e, 0xff, 0x80, 0x00, 0xce, 0x4e, 0xfe, 0xfd],
  );
  // A-law truncates to 13 bits; -1 >> 3 is -1, which maps onto the 0x55 side.
  assert.deepEqual(
    Array.from(encodeALaw(pcm)),
    [0xd5, 0x55, 0xd5, 0xaa, 0x2a, 0xfa, 0x7a, 0xd5, 0xd4],
  );
  assert.deepEqual(Array.from(decodeMuLaw(Uint8Array.of(0xff, 0x7f, 0x80, 0x00, 0xce))), [
    0,
    0,
    32124,
    -32124,
    988,
  ]);
  assert.deepEqual(Array.from(decodeALaw(Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a, 0xfa))), [
    8,
    -8,
    32256,
    -32256,
    1008,
  ]);
});

Deno.test("decode∘encode is idempotent on decoded values", () => {
  // µ-law has two zeros (0x7f is "negative zero"); encoding 0 gives 0xff.
  const mu = Uint8Array.from(ALL_BYTES, (b) => (b === 0x7f ? 0xff : b));
  assert.deepEqual(encodeMuLaw(decodeMuLaw(ALL_BYTES)), mu);
  assert.deepEqual(encodeALaw(decodeALaw(ALL_BYTES)), ALL_BYTES);
});

Deno.test("empty and subarray inputs", () => {
  assert.equal(encodeMuLaw(new Int16Array(0)).length, 0);
  const big = Int16Array.of(5, 0, 7);
  assert.deepEqual(Array.from(encodeALaw(big.subarray(1, 2))), [0xd5]);
  assert.deepEqual(Array.from(decodeMuLaw(Uint8Array.of(1, 0xff, 2).subarray(1, 2))), [0]);
});

Deno.test("importing builds no table; each is built once, on its first use", async () => {
  // A query string makes a module instance of its own, untouched by the tests above.
  const g711 = await import("./g711.ts?lazy-tables");
  assert.equal(g711.g711TablesBuilt(), 0);
  const pcm = Int16Array.of(-32768, -1, 0, 1000, 32767);
  const mu = g711.encodeMuLaw(pcm);
  assert.equal(g711.g711TablesBuilt(), 1);
  assert.deepEqual(g711.encodeMuLaw(pcm), mu);
  assert.equal(g711.g711TablesBuilt(), 1);
  assert.deepEqual(g711.decodeMuLaw(mu), decodeMuLaw(mu));
  assert.equal(g711.g711TablesBuilt(), 2);
  assert.deepEqual(g711.encodeALaw(pcm), encodeALaw(pcm));
  assert.deepEqual(g711.decodeALaw(g711.encodeALaw(pcm)), decodeALaw(encodeALaw(pcm)));
  assert.equal(g711.g711TablesBuilt(), 4);
});
