/**
 * G.711 µ-law and A-law, bit-exact with the classic reference (Sun's `g711.c`,
 * as used by Python's `audioop` and Asterisk): 16-bit input is truncated (not
 * rounded) to 14 bits (µ-law) or 13 bits (A-law), and decoding uses the
 * standard expansion tables.
 *
 * Everything is table-driven: a 64 K-entry encode table per law and a 256-entry
 * decode table per law, each built on its first use, so importing the module
 * costs nothing until a call needs G.711.
 *
 * @module
 */

/** µ-law bias (0x84) in 16-bit scale. */
const MU_BIAS = 0x84;
/** Largest 14-bit magnitude µ-law represents before the bias is added. */
const MU_CLIP = 8159;

/** Segment of a positive value: index of its highest set bit above `low` bits, 0..8. */
function segment(value: number, lowBits: number): number {
  return Math.max(0, 31 - Math.clz32(value >> lowBits));
}

function muLawOf(sample: number): number {
  let v = sample >> 2; // truncate to 14 bits
  const mask = v < 0 ? 0x7f : 0xff;
  if (v < 0) v = -v;
  v = Math.min(v, MU_CLIP) + (MU_BIAS >> 2);
  // v is at most 8192, so its segment is 0..7 for v < 0x2000 and 8 (overflow) otherwise.
  const seg = segment(v, 5);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask;
}

function aLawOf(sample: number): number {
  let v = sample >> 3; // truncate to 13 bits
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, 4);
  const quant = seg < 2 ? (v >> 1) & 0xf : (v >> seg) & 0xf;
  return ((seg << 4) | quant) ^ mask;
}

function muLawToLinear(code: number): number {
  const u = ~code & 0xff;
  const t = (((u & 0xf) << 3) + MU_BIAS) << ((u >> 4) & 7);
  return u & 0x80 ? MU_BIAS - t : t - MU_BIAS;
}

function aLawToLinear(code: number): number {
  const a = code ^ 0x55;
  const seg = (a >> 4) & 7;
  let t = (a & 0xf) << 4;
  t = seg === 0 ? t + 8 : (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** Tables built so far: each is built on its first use (see the module doc). */
let tablesBuilt = 0;

function encodeTable(law: (sample: number) => number): Uint8Array {
  tablesBuilt++;
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = law((i << 16) >> 16);
  return table;
}

function decodeTable(law: (code: number) => number): Int16Array {
  tablesBuilt++;
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = law(i);
  return table;
}

/** Undefined until first use. Encode tables are indexed by the sample's bits, `sample & 0xffff`. */
let muEncode: Uint8Array | undefined;
let aEncode: Uint8Array | undefined;
let muDecode: Int16Array | undefined;
let aDecode: Int16Array | undefined;

/** How many of the four lookup tables have been built so far (for tests of the laziness). */
export function g711TablesBuilt(): number {
  return tablesBuilt;
}

function encode(pcm: Int16Array, table: Uint8Array): Uint8Array {
  const n = pcm.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = table[pcm[i]! & 0xffff]!;
  return out;
}

function decode(bytes: Uint8Array, table: Int16Array): Int16Array {
  const n = bytes.length;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** Encodes 16-bit PCM to G.711 µ-law (PCMU), one byte per sample, into a fresh array. */
export function encodeMuLaw(pcm: Int16Array): Uint8Array {
  return encode(pcm, muEncode ??= encodeTable(muLawOf));
}

/** Decodes G.711 µ-law (PCMU) bytes to 16-bit PCM, into a fresh array. */
export function decodeMuLaw(bytes: Uint8Array): Int16Array {
  return decode(bytes, muDecode ??= decodeTable(muLawToLinear));
}

/** Encodes 16-bit PCM to G.711 A-law (PCMA), one byte per sample, into a fresh array. */
export function encodeALaw(pcm: Int16Array): Uint8Array {
  return encode(pcm, aEncode ??= encodeTable(aLawOf));
}

/** Decodes G.711 A-law (PCMA) bytes to 16-bit PCM, into a fresh array. */
export function decodeALaw(bytes: Uint8Array): Int16Array {
  return decode(bytes, aDecode ??= decodeTable(aLawToLinear));
}
