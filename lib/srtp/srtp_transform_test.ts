import assert from "node:assert/strict";
import { createSrtpTransform, type SrtpProfile } from "./srtp_transform.ts";
import { randomHeader, randomKeys, randomSource } from "./srtp_test_utils.ts";
import { hex, unhex } from "../../tests/support/hex.ts";

const PROFILES: SrtpProfile[] = ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"];

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

for (const profile of PROFILES) {
  Deno.test(`${profile}: any flipped bit, wrong ROC, wrong key or truncation is rejected`, () => {
    const source = randomSource(99 + profile.length);
    const keys = randomKeys(profile, source);
    const t = createSrtpTransform(profile, keys);
    const header = randomHeader(source);
    const wire = t.protectRtp(header, source.bytes(60), 5);
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
      createSrtpTransform(profile, randomKeys(profile, source)).unprotectRtp(
        wire,
        header.length,
        5,
      ),
      null,
    );
    for (let n = 0; n < wire.length; n++) {
      assert.equal(t.unprotectRtp(wire.subarray(0, n), header.length, 5), null);
    }
    assert.ok(t.unprotectRtp(wire, header.length, 5));
  });

  Deno.test(`${profile}: hostile header lengths and garbage never throw`, () => {
    const source = randomSource(7 + profile.length);
    const { rand, bytes } = source;
    const t = createSrtpTransform(profile, randomKeys(profile, source));
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
    const t = createSrtpTransform(profile, randomKeys(profile, randomSource(1)));
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
