import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { Aes128, readU32, writeU32 } from "./aes.ts";
import { mulberry32 } from "../../simulator/prng.ts";
import { hex, unhex } from "../../tests/support/hex.ts";

function encrypt(key: string, block: string): string {
  const out = new Uint8Array(16);
  new Aes128(unhex(key)).encryptBlock(unhex(block), 0, out, 0);
  return hex(out);
}

Deno.test("AES-128 matches FIPS-197 Appendix C.1 and Appendix B", () => {
  assert.equal(
    encrypt("000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff"),
    "69c4e0d86a7b0430d8cdb78070b4c55a",
  );
  assert.equal(
    encrypt("2b7e151628aed2a6abf7158809cf4f3c", "3243f6a8885a308d313198a2e0370734"),
    "3925841d02dc09fbdc118597196a0b32",
  );
});

Deno.test("AES-128 agrees with node:crypto AES-128-ECB on random keys and blocks", () => {
  const rand = mulberry32(197);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
  for (let i = 0; i < 200; i++) {
    const key = bytes(16);
    const block = bytes(16);
    const ecb = createCipheriv("aes-128-ecb", key, null).setAutoPadding(false);
    const out = new Uint8Array(16);
    new Aes128(key).encryptBlock(block, 0, out, 0);
    assert.equal(hex(out), hex(ecb.update(block)));
  }
});

Deno.test("encryptBlock works in place and at offsets; encryptWords gives the same words", () => {
  const aes = new Aes128(unhex("000102030405060708090a0b0c0d0e0f"));
  const buf = new Uint8Array(20);
  buf.set(unhex("00112233445566778899aabbccddeeff"), 3);
  aes.encryptBlock(buf, 3, buf, 3);
  assert.equal(hex(buf.subarray(3, 19)), "69c4e0d86a7b0430d8cdb78070b4c55a");
  const words = new Int32Array(4);
  aes.encryptWords(0x00112233, 0x44556677, 0x8899aabb | 0, 0xccddeeff | 0, words);
  assert.deepEqual([...words], [0, 4, 8, 12].map((i) => readU32(buf, 3 + i)));
});

Deno.test("Aes128 rejects keys that are not 16 bytes", () => {
  assert.throws(() => new Aes128(new Uint8Array(15)), RangeError);
  assert.throws(() => new Aes128(new Uint8Array(32)), RangeError);
});

Deno.test("readU32/writeU32 are big-endian and round-trip negative words", () => {
  const b = new Uint8Array(6);
  writeU32(b, 1, 0xdeadbeef);
  assert.deepEqual([...b], [0, 0xde, 0xad, 0xbe, 0xef, 0]);
  assert.equal(readU32(b, 1), 0xdeadbeef | 0);
});
