import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createCipheriv, createHmac } from "node:crypto";
import { createSrtpTransform, type SrtpProfile, type SrtpSessionKeys } from "./srtp_transform.ts";
import { mulberry32 } from "../../simulator/prng.ts";
import { hex, unhex } from "../../tests/support/hex.ts";

const PROFILES: SrtpProfile[] = ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"];

/** RFC 3711 §4.1.1/§4.2.1 and RFC 7714 §8 spelled out with node:crypto, as an independent oracle. */
function referenceProtect(
  profile: SrtpProfile,
  keys: SrtpSessionKeys,
  header: Uint8Array,
  payload: Uint8Array,
  roc: number,
): Uint8Array {
  const h = Buffer.from(header);
  const fields = Buffer.alloc(16);
  if (profile === "AES_CM_128_HMAC_SHA1_80") {
    fields.writeUInt32BE(h.readUInt32BE(8), 4);
    fields.writeUInt32BE(roc, 8);
    fields.writeUInt16BE(h.readUInt16BE(2), 12);
    const iv = fields.map((b, i) => b ^ (keys.salt[i] ?? 0));
    const enc = createCipheriv("aes-128-ctr", keys.key, iv).update(payload);
    const rocBytes = Buffer.alloc(4);
    rocBytes.writeUInt32BE(roc);
    const tag = createHmac("sha1", keys.authKey!).update(h).update(enc).update(rocBytes).digest();
    return Buffer.concat([h, enc, tag.subarray(0, 10)]);
  }
  fields.writeUInt32BE(h.readUInt32BE(8), 2);
  fields.writeUInt32BE(roc, 6);
  fields.writeUInt16BE(h.readUInt16BE(2), 10);
  const iv = fields.subarray(0, 12).map((b, i) => b ^ keys.salt[i]!);
  const gcm = createCipheriv("aes-128-gcm", keys.key, iv).setAAD(h);
  return Buffer.concat([h, gcm.update(payload), gcm.final(), gcm.getAuthTag()]);
}

Deno.test("AES_CM_128_HMAC_SHA1_80 reproduces libsrtp's reference packet (RFC 3711 B.3 session keys)", () => {
  const t = createSrtpTransform("AES_CM_128_HMAC_SHA1_80", {
    key: unhex("c61e7a93744f39ee10734afe3ff7a087"),
    salt: unhex("30cbbc08863d8c85d49db34a9ae1"),
    authKey: unhex("cebe321f6ff7716b6fd4ab49af256a156d38baa4"),
  });
  const header = unhex("800f1234 decafbad cafebabe");
  const payload = new Uint8Array(16).fill(0xab);
  const wire = t.protectRtp(header, payload, 0);
  assert.equal(
    hex(wire),
    "800f1234decafbadcafebabe" + "4e55dc4ce79978d88ca4d215949d2402" + "b78d6acc99ea179b8dbb",
  );
  assert.equal(hex(t.unprotectRtp(wire, 12, 0)!), hex(header) + hex(payload));
});

Deno.test("AEAD_AES_128_GCM reproduces RFC 7714 §16.1.1 and §16.1.2", () => {
  const t = createSrtpTransform("AEAD_AES_128_GCM", {
    key: unhex("000102030405060708090a0b0c0d0e0f"),
    salt: unhex("517569642070726f2071756f"),
  });
  const header = unhex("8040f17b 8041f8d3 5501a0b2");
  const payload = new TextEncoder().encode("Gallia est omnis divisa in partes tres");
  const expected = "8040f17b8041f8d35501a0b2" +
    "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf8833" +
    "899d7f27beb16a9152cf765ee4390cce";
  assert.equal(hex(t.protectRtp(header, payload, 0)), expected);
  assert.equal(hex(t.unprotectRtp(unhex(expected), 12, 0)!), hex(header) + hex(payload));
});

/** A random RTP header with CSRCs and, sometimes, an extension of random words. */
function randomHeader(rand: () => number, bytes: (n: number) => Uint8Array): Uint8Array {
  const cc = (rand() * 16) | 0;
  const extWords = rand() < 0.5 ? -1 : (rand() * 6) | 0;
  const length = 12 + 4 * cc + (extWords < 0 ? 0 : 4 + 4 * extWords);
  const h = bytes(length);
  h[0] = 0x80 | (extWords < 0 ? 0 : 0x10) | cc;
  if (extWords >= 0) {
    h[12 + 4 * cc] = 0xbe;
    h[13 + 4 * cc] = 0xde;
    h[14 + 4 * cc] = 0;
    h[15 + 4 * cc] = extWords;
  }
  return h;
}

function randomKeys(profile: SrtpProfile, bytes: (n: number) => Uint8Array): SrtpSessionKeys {
  return profile === "AES_CM_128_HMAC_SHA1_80"
    ? { key: bytes(16), salt: bytes(14), authKey: bytes(20) }
    : { key: bytes(16), salt: bytes(12) };
}

for (const profile of PROFILES) {
  Deno.test(`${profile}: random packets match the node:crypto oracle and round-trip`, () => {
    const rand = mulberry32(profile.length);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
    for (let i = 0; i < 300; i++) {
      const keys = randomKeys(profile, bytes);
      const t = createSrtpTransform(profile, keys);
      const header = randomHeader(rand, bytes);
      const payload = bytes(i < 20 ? i : (rand() * 1201) | 0);
      // ROCs across the whole 32-bit range, including ≥ 2^31.
      const roc = i % 3 === 0 ? 0 : (rand() * 2 ** 32) >>> 0;
      const wire = t.protectRtp(header, payload, roc);
      assert.equal(wire.length, header.length + payload.length + t.tagLength);
      assert.equal(hex(wire), hex(referenceProtect(profile, keys, header, payload, roc)));
      const plain = t.unprotectRtp(wire, header.length, roc);
      assert.ok(plain, `packet ${i} failed to unprotect`);
      assert.equal(hex(plain), hex(header) + hex(payload));
    }
  });

  Deno.test(`${profile}: any flipped bit, wrong ROC, wrong key or truncation is rejected`, () => {
    const rand = mulberry32(99 + profile.length);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
    const keys = randomKeys(profile, bytes);
    const t = createSrtpTransform(profile, keys);
    const header = randomHeader(rand, bytes);
    const wire = t.protectRtp(header, bytes(60), 5);
    for (let i = 0; i < wire.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const tampered = wire.slice();
        tampered[i]! ^= 1 << bit;
        assert.equal(t.unprotectRtp(tampered, header.length, 5), null, `byte ${i} bit ${bit}`);
      }
    }
    assert.equal(t.unprotectRtp(wire, header.length, 4), null);
    assert.equal(t.unprotectRtp(wire, header.length, 5 + 2 ** 16), null);
    assert.equal(
      createSrtpTransform(profile, randomKeys(profile, bytes)).unprotectRtp(wire, header.length, 5),
      null,
    );
    for (let n = 0; n < wire.length; n++) {
      assert.equal(t.unprotectRtp(wire.subarray(0, n), header.length, 5), null);
    }
    assert.ok(t.unprotectRtp(wire, header.length, 5));
  });

  Deno.test(`${profile}: hostile header lengths and garbage never throw`, () => {
    const rand = mulberry32(7 + profile.length);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
    const t = createSrtpTransform(profile, randomKeys(profile, bytes));
    const wire = t.protectRtp(bytes(12), bytes(20), 0);
    const end = wire.length - t.tagLength;
    for (const h of [NaN, -1, 0, 11, 12.5, end + 1, Infinity, -Infinity]) {
      assert.equal(t.unprotectRtp(wire, h, 0), null, `headerLength ${h}`);
    }
    assert.ok(t.unprotectRtp(wire, 12, 0));
    for (let i = 0; i < 2000; i++) {
      const garbage = bytes((rand() * 80) | 0);
      assert.equal(t.unprotectRtp(garbage, (rand() * 90) | 0, (rand() * 2 ** 32) >>> 0), null);
    }
  });

  Deno.test(`${profile}: protect leaves its inputs alone and rejects a short header`, () => {
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i * 7);
    const t = createSrtpTransform(profile, randomKeys(profile, bytes));
    const header = bytes(16);
    const payload = bytes(40);
    const wire = t.protectRtp(header, payload, 1);
    assert.deepEqual(header, bytes(16));
    assert.deepEqual(payload, bytes(40));
    assert.equal(hex(t.unprotectRtp(wire, 16, 1)!), hex(header) + hex(payload));
    assert.throws(() => t.protectRtp(bytes(11), payload, 0), RangeError);
  });
}

Deno.test("createSrtpTransform rejects keys of the wrong size", () => {
  const b = (n: number) => new Uint8Array(n);
  const cm = "AES_CM_128_HMAC_SHA1_80";
  assert.throws(
    () => createSrtpTransform(cm, { key: b(16), salt: b(12), authKey: b(20) }),
    RangeError,
  );
  assert.throws(() => createSrtpTransform(cm, { key: b(16), salt: b(14) }), RangeError);
  assert.throws(
    () => createSrtpTransform(cm, { key: b(16), salt: b(14), authKey: b(16) }),
    RangeError,
  );
  assert.throws(
    () => createSrtpTransform(cm, { key: b(32), salt: b(14), authKey: b(20) }),
    RangeError,
  );
  assert.throws(
    () => createSrtpTransform("AEAD_AES_128_GCM", { key: b(16), salt: b(14) }),
    RangeError,
  );
  assert.throws(
    () => createSrtpTransform("AEAD_AES_128_GCM", { key: b(24), salt: b(12) }),
    RangeError,
  );
  assert.equal(createSrtpTransform(cm, { key: b(16), salt: b(14), authKey: b(20) }).tagLength, 10);
  assert.equal(createSrtpTransform("AEAD_AES_128_GCM", { key: b(16), salt: b(12) }).tagLength, 16);
});
