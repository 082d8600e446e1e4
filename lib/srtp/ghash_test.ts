import assert from "node:assert/strict";
import { Ghash } from "./ghash.ts";
import { mulberry32 } from "../../simulator/prng.ts";

/** SP 800-38D Algorithm 1: bit-by-bit multiplication in GF(2^128), on bigints in GCM bit order. */
function referenceMul(x: bigint, y: bigint): bigint {
  const R = 0xe1n << 120n;
  let z = 0n;
  let v = y;
  for (let i = 127; i >= 0; i--) {
    if ((x >> BigInt(i)) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z;
}

const toBig = (b: Uint8Array) => b.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
const wordsToBig = (w: Int32Array) => [...w].reduce((acc, x) => (acc << 32n) | BigInt(x >>> 0), 0n);

/** GHASH per SP 800-38D §6.4 with the reference multiplication. */
function referenceGhash(h: Uint8Array, aad: Uint8Array, text: Uint8Array): bigint {
  const H = toBig(h);
  let y = 0n;
  const absorb = (data: Uint8Array) => {
    for (let i = 0; i < data.length; i += 16) {
      const block = new Uint8Array(16);
      block.set(data.subarray(i, i + 16));
      y = referenceMul(y ^ toBig(block), H);
    }
  };
  absorb(aad);
  absorb(text);
  y = referenceMul(y ^ ((BigInt(aad.length * 8) << 64n) | BigInt(text.length * 8)), H);
  return y;
}

Deno.test("table GHASH equals bit-serial GHASH on random keys, AAD and text lengths", () => {
  const rand = mulberry32(38);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
  const out = new Int32Array(4);
  for (let i = 0; i < 150; i++) {
    const h = bytes(16);
    const aad = bytes((rand() * 40) | 0);
    const text = bytes((rand() * 120) | 0);
    const g = new Ghash(h);
    // Stale state from an earlier hash must not leak through reset().
    g.update(bytes(20), 0, 20);
    g.reset();
    g.update(aad, 0, aad.length);
    g.update(text, 0, text.length);
    g.finish(aad.length, text.length, out);
    assert.equal(wordsToBig(out), referenceGhash(h, aad, text));
  }
});

Deno.test("update reads only buf[start…end)", () => {
  const h = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
  const text = Uint8Array.from({ length: 21 }, (_, i) => i + 1);
  const framed = new Uint8Array(30).fill(0xff);
  framed.set(text, 4);
  const a = new Int32Array(4);
  const b = new Int32Array(4);
  const g = new Ghash(h);
  g.update(text, 0, 21);
  g.finish(0, 21, a);
  g.reset();
  g.update(framed, 4, 25);
  g.finish(0, 21, b);
  assert.deepEqual(a, b);
  assert.equal(wordsToBig(a), referenceGhash(h, new Uint8Array(0), text));
});

Deno.test("Ghash rejects a key that is not 16 bytes", () => {
  assert.throws(() => new Ghash(new Uint8Array(12)), RangeError);
});
