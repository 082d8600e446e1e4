import assert from "node:assert/strict";
import {
  base64ToBytes,
  base64ToInt16,
  bytesToBase64,
  bytesToInt16,
  checkedBytesToInt16,
  concatPcm,
  int16ToBase64,
  int16ToBytes,
  PcmDecodeError,
  rms,
} from "./pcm.ts";
import { sine } from "./tone.ts";

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

Deno.test("int16ToBytes writes little-endian regardless of host byte order", () => {
  const bytes = int16ToBytes(Int16Array.of(0x1234, -2, -32768, 32767, 0));
  assert.deepEqual(Array.from(bytes), [0x34, 0x12, 0xfe, 0xff, 0x00, 0x80, 0xff, 0x7f, 0, 0]);
  // DataView is explicit about byte order, so this holds on any host.
  const view = new DataView(bytes.buffer);
  assert.equal(view.getInt16(0, true), 0x1234);
  assert.equal(view.getInt16(2, true), -2);
});

Deno.test("bytesToInt16 reads little-endian at odd offsets and ignores a trailing byte", () => {
  const buf = new Uint8Array(9);
  new DataView(buf.buffer).setInt16(1, -12345, true);
  new DataView(buf.buffer).setInt16(3, 0x7f01, true);
  new DataView(buf.buffer).setInt16(5, -32768, true);
  const samples = bytesToInt16(buf.subarray(1, 8)); // offset 1, odd length 7
  assert.deepEqual(Array.from(samples), [-12345, 0x7f01, -32768]);
  const err = checkedBytesToInt16(buf.subarray(1, 8));
  assert.ok(err instanceof PcmDecodeError);
  assert.equal(err.kind, "odd-byte-length");
  assert.deepEqual(checkedBytesToInt16(buf.subarray(1, 7)), samples);
});

Deno.test("int16 ⇄ bytes round trip over every int16 value", () => {
  const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
  assert.deepEqual(bytesToInt16(int16ToBytes(all)), all);
});

Deno.test("base64 matches btoa/atob for every length 0..300", () => {
  for (let n = 0; n <= 300; n++) {
    const bytes = randomBytes(n, n + 7);
    const b64 = bytesToBase64(bytes);
    assert.equal(b64, btoa(String.fromCharCode(...bytes)), `length ${n}`);
    assert.deepEqual(base64ToBytes(b64), bytes);
    assert.deepEqual(base64ToBytes(b64.replace(/=+$/, "")), bytes, `unpadded ${n}`);
  }
});

Deno.test("RFC 4648 test vectors", () => {
  const vectors = ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"];
  const plain = ["", "f", "fo", "foo", "foob", "fooba", "foobar"];
  vectors.forEach((v, i) => {
    assert.equal(bytesToBase64(new TextEncoder().encode(plain[i])), v);
    assert.equal(new TextDecoder().decode(base64ToBytes(v) as Uint8Array), plain[i]);
  });
});

Deno.test("invalid base64 is a typed error, never a throw", () => {
  const cases: [string, number][] = [
    ["Zm9v!", 4],
    ["Zm9vY", 4],
    ["Zm=v", 2],
    ["Zm9v Zm9v", 4],
    ["Zm9v-_", 4],
    ["A===", 1],
    ["====", 0],
    ["Zm9vYg=", 6],
    ["Zm9\u00e9", 3],
    ["Zm9\u0141", 3],
  ];
  for (const [text, offset] of cases) {
    const r = base64ToBytes(text);
    assert.ok(r instanceof PcmDecodeError, JSON.stringify(text));
    assert.equal(r.kind, "invalid-base64");
    assert.equal(r.offset, offset, JSON.stringify(text));
  }
});

Deno.test("int16 ⇄ base64 round trip; odd byte payload rejected", () => {
  const pcm = Int16Array.from(randomBytes(4801, 3), (b, i) => (b << 8) ^ i);
  const b64 = int16ToBase64(pcm);
  assert.deepEqual(base64ToInt16(b64), pcm);
  const r = base64ToInt16(bytesToBase64(Uint8Array.of(1, 2, 3)));
  assert.ok(r instanceof PcmDecodeError);
  assert.equal(r.kind, "odd-byte-length");
  const bad = base64ToInt16("AAA*");
  assert.ok(bad instanceof PcmDecodeError && bad.kind === "invalid-base64");
});

Deno.test("concatPcm joins chunks of any length in order", () => {
  const out = concatPcm([
    Int16Array.of(1, 2),
    new Int16Array(0),
    Int16Array.of(3),
    Int16Array.of(-4, 5),
  ]);
  assert.deepEqual(Array.from(out), [1, 2, 3, -4, 5]);
  assert.equal(concatPcm([]).length, 0);
});

Deno.test("rms: a full-scale square wave, a sine, and an empty array", () => {
  assert.equal(rms(Int16Array.of(1000, -1000, 1000, -1000)), 1000);
  assert.ok(Math.abs(rms(sine(1000, 24000, 2400, 8000)) - 8000 / Math.SQRT2) < 2);
  assert.equal(rms(new Int16Array(0)), 0);
});
