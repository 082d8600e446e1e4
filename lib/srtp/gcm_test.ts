import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createCipheriv } from "node:crypto";
import { readU32 } from "./aes.ts";
import { AesGcm, GCM_TAG_BYTES } from "./gcm.ts";
import { mulberry32 } from "../../simulator/prng.ts";
import { hex, unhex } from "../../tests/support/hex.ts";

const ivWords = (iv: Uint8Array) => Int32Array.from([0, 4, 8], (i) => readU32(iv, i));

/** Seals AAD ‖ text and returns hex of ciphertext ‖ tag. */
function seal(key: string, iv: string, aad: string, text: string): string {
  const a = unhex(aad);
  const p = unhex(text);
  const buf = new Uint8Array(a.length + p.length + GCM_TAG_BYTES);
  buf.set(a);
  buf.set(p, a.length);
  new AesGcm(unhex(key)).seal(ivWords(unhex(iv)), buf, a.length, a.length + p.length);
  assert.equal(hex(buf.subarray(0, a.length)), aad, "AAD is left as is");
  return hex(buf.subarray(a.length));
}

const TC_KEY = "feffe9928665731c6d6a8f9467308308";
const TC_IV = "cafebabefacedbaddecaf888";
const TC_TEXT = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
const TC_CIPHER = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";

Deno.test("AES-128-GCM matches the GCM spec's test cases 1–4", () => {
  const zeroKey = "00000000000000000000000000000000";
  const zeroIv = "000000000000000000000000";
  assert.equal(seal(zeroKey, zeroIv, "", ""), "58e2fccefa7e3061367f1d57a4e7455a");
  assert.equal(
    seal(zeroKey, zeroIv, "", "00000000000000000000000000000000"),
    "0388dace60b6a392f328c2b971b2fe78" + "ab6e47d42cec13bdf53a67b21257bddf",
  );
  assert.equal(seal(TC_KEY, TC_IV, "", TC_TEXT), TC_CIPHER + "4d5c2af327cd64a62cf35abd2ba6fab4");
  assert.equal(
    seal(TC_KEY, TC_IV, "feedfacedeadbeeffeedfacedeadbeefabaddad2", TC_TEXT.slice(0, 120)),
    TC_CIPHER.slice(0, 120) + "5bc94fbc3221a5db94fae95ae7121a47",
  );
});

Deno.test("seal agrees with node's aes-128-gcm and open inverts it", () => {
  const rand = mulberry32(7714);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
  for (let i = 0; i < 200; i++) {
    const key = bytes(16);
    const iv = bytes(12);
    const aad = bytes((rand() * 40) | 0);
    const text = bytes((rand() * 300) | 0);
    const node = createCipheriv("aes-128-gcm", key, iv).setAAD(aad);
    const expected = hex(Buffer.concat([node.update(text), node.final(), node.getAuthTag()]));
    const textEnd = aad.length + text.length;
    const buf = new Uint8Array(textEnd + GCM_TAG_BYTES);
    buf.set(aad);
    buf.set(text, aad.length);
    const gcm = new AesGcm(key);
    gcm.seal(ivWords(iv), buf, aad.length, textEnd);
    assert.equal(hex(buf.subarray(aad.length)), expected);
    const dst = new Uint8Array(textEnd);
    assert.equal(gcm.open(ivWords(iv), buf, dst, aad.length, textEnd), true);
    assert.equal(hex(dst.subarray(aad.length)), hex(text));
  }
});

Deno.test("open rejects any flipped bit and then writes nothing", () => {
  const key = unhex(TC_KEY);
  const iv = ivWords(unhex(TC_IV));
  const aad = unhex("feedfacedeadbeef");
  const text = unhex(TC_TEXT.slice(0, 40));
  const buf = new Uint8Array(aad.length + text.length + GCM_TAG_BYTES);
  buf.set(aad);
  buf.set(text, aad.length);
  const gcm = new AesGcm(key);
  const textEnd = aad.length + text.length;
  gcm.seal(iv, buf, aad.length, textEnd);
  for (let i = 0; i < buf.length; i++) {
    for (const bit of [0x01, 0x80]) {
      const tampered = buf.slice();
      tampered[i]! ^= bit;
      const dst = new Uint8Array(textEnd).fill(0x55);
      assert.equal(gcm.open(iv, tampered, dst, aad.length, textEnd), false, `byte ${i}`);
      assert.ok(dst.every((b) => b === 0x55));
    }
  }
  // A different IV (another packet index) fails too.
  const otherIv = iv.slice();
  otherIv[2]! ^= 1;
  assert.equal(gcm.open(otherIv, buf, buf, aad.length, textEnd), false);
  assert.equal(gcm.open(iv, buf, buf, aad.length, textEnd), true);
});
