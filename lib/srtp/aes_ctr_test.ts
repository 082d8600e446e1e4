import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { Aes128, readU32 } from "./aes.ts";
import { aesCtrXor } from "./aes_ctr.ts";
import { mulberry32 } from "../../simulator/prng.ts";
import { hex, unhex } from "../../tests/support/hex.ts";

function counterWords(block: Uint8Array): Int32Array {
  return Int32Array.from([0, 4, 8, 12], (i) => readU32(block, i));
}

function keystream(key: Uint8Array, counter: Uint8Array, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  const words = counterWords(counter);
  aesCtrXor(new Aes128(key), words, buf, buf, 0, length);
  assert.deepEqual(words, counterWords(counter), "the counter block is left unchanged");
  return buf;
}

Deno.test("AES-CM keystream matches RFC 3711 Appendix B.2", () => {
  const key = unhex("2b7e151628aed2a6abf7158809cf4f3c");
  // SSRC, ROC and SEQ are zero, so the IV is the salt shifted 16 bits.
  const ks = keystream(key, unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfd0000"), 16 * 0xff02);
  const block = (n: number) => hex(ks.subarray(16 * n, 16 * n + 16));
  assert.equal(block(0), "e03ead0935c95e80e166b16dd92b4eb4");
  assert.equal(block(1), "d23513162b02d0f72a43a2fe4a5f97ab");
  assert.equal(block(2), "41e95b3bb0a2e8dd477901e4fca894c0");
  assert.equal(block(0xfeff), "ec8cdf7398607cb0f2d21675ea9ea1e4");
  assert.equal(block(0xff00), "362b7c3c6773516318a077d7fc5073ae");
  assert.equal(block(0xff01), "6a2cc3787889374fbeb4c81b17ba6c44");
});

Deno.test("the counter carries across all four words like node's AES-128-CTR", () => {
  const key = unhex("000102030405060708090a0b0c0d0e0f");
  for (
    const iv of [
      "00000000fffffffffffffffffffffffe",
      "0000000000000000fffffffffffffffe",
      "ffffffffffffffffffffffffffffffff",
    ]
  ) {
    const expected = createCipheriv("aes-128-ctr", key, unhex(iv)).update(new Uint8Array(64));
    assert.equal(hex(keystream(key, unhex(iv), 64)), hex(expected), iv);
  }
});

Deno.test("random lengths, offsets and counters agree with node, in place and copying", () => {
  const rand = mulberry32(3711);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
  for (let i = 0; i < 300; i++) {
    const key = bytes(16);
    const iv = bytes(16);
    const length = (rand() * 200) | 0;
    const start = (rand() * 8) | 0;
    const end = start + length;
    const src = bytes(end + 3);
    const expected = hex(createCipheriv("aes-128-ctr", key, iv).update(src.subarray(start, end)));
    const aes = new Aes128(key);
    const dst = new Uint8Array(end + 5).fill(0x5a);
    aesCtrXor(aes, counterWords(iv), src, dst, start, end);
    assert.equal(hex(dst.subarray(start, end)), expected);
    assert.ok(dst.subarray(0, start).every((b) => b === 0x5a));
    assert.ok(dst.subarray(end).every((b) => b === 0x5a));
    const inPlace = src.slice();
    aesCtrXor(aes, counterWords(iv), inPlace, inPlace, start, end);
    assert.equal(hex(inPlace.subarray(start, end)), expected);
    // Bytes outside the range are untouched.
    assert.equal(hex(inPlace.subarray(0, start)), hex(src.subarray(0, start)));
    assert.equal(hex(inPlace.subarray(end)), hex(src.subarray(end)));
  }
});
