/**
 * Property tests: lib/srtp protects byte for byte as two independent
 * implementations of RFC 3711 §4.1.1/§4.2.1 and RFC 7714 §8 do — node:crypto
 * (OpenSSL) and @noble/ciphers + @noble/hashes — and unprotects what they
 * build, across random keys, salts, indexes and headers.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createCipheriv, createHmac } from "node:crypto";
import { ctr, gcm } from "@noble/ciphers/aes.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha1 } from "@noble/hashes/legacy.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { createSrtpTransform, type SrtpProfile } from "./srtp_transform.ts";
import { randomSrtpInputs, type SrtpInput } from "./srtp_test_utils.ts";
import { hex } from "../../tests/support/hex.ts";

const PROFILES: SrtpProfile[] = ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"];
const CASES = 300;

/** The packet's IV: SSRC, ROC and SEQ in zeros, XOR the salt (RFC 3711 §4.1.1, RFC 7714 §8.1). */
function packetIv(profile: SrtpProfile, { keys, header, roc }: SrtpInput): Uint8Array {
  const cm = profile === "AES_CM_128_HMAC_SHA1_80";
  // AES-CM: salt·2^16 ⊕ SSRC·2^64 ⊕ index·2^16 in 16 bytes; GCM: 0x0000 ‖ SSRC ‖ ROC ‖ SEQ in 12.
  const iv = new Uint8Array(cm ? 16 : 12);
  iv.set(header.subarray(8, 12), cm ? 4 : 2);
  iv.set(u32(roc), cm ? 8 : 6);
  iv.set(header.subarray(2, 4), cm ? 12 : 10);
  return iv.map((b, i) => b ^ (keys.salt[i] ?? 0));
}

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n);
}

/** The SRTP packet as node:crypto builds it. */
function nodeProtect(profile: SrtpProfile, input: SrtpInput): Uint8Array {
  const { keys, header, payload, roc } = input;
  const iv = packetIv(profile, input);
  if (profile === "AES_CM_128_HMAC_SHA1_80") {
    const enc = createCipheriv("aes-128-ctr", keys.key, iv).update(payload);
    const tag = createHmac("sha1", keys.authKey!).update(header).update(enc).update(u32(roc));
    return Buffer.concat([header, enc, tag.digest().subarray(0, 10)]);
  }
  const aead = createCipheriv("aes-128-gcm", keys.key, iv).setAAD(header);
  return Buffer.concat([header, aead.update(payload), aead.final(), aead.getAuthTag()]);
}

/** The SRTP packet as @noble/ciphers and @noble/hashes build it. */
function nobleProtect(profile: SrtpProfile, input: SrtpInput): Uint8Array {
  const { keys, header, payload, roc } = input;
  const iv = packetIv(profile, input);
  if (profile === "AES_CM_128_HMAC_SHA1_80") {
    const enc = ctr(keys.key, iv).encrypt(payload);
    const tag = hmac(sha1, keys.authKey!, concatBytes(header, enc, u32(roc)));
    return concatBytes(header, enc, tag.subarray(0, 10));
  }
  return concatBytes(header, gcm(keys.key, iv, header).encrypt(payload));
}

const ORACLES = { "node:crypto": nodeProtect, "@noble": nobleProtect } as const;

for (const profile of PROFILES) {
  for (const [name, oracle] of Object.entries(ORACLES)) {
    Deno.test(`${profile}: protect and unprotect agree with ${name} on random packets`, () => {
      const inputs = randomSrtpInputs(profile, profile.length + name.length, CASES);
      for (const [i, input] of inputs.entries()) {
        const { keys, header, payload, roc } = input;
        const t = createSrtpTransform(profile, keys);
        const expected = oracle(profile, input);
        const at = `case ${i}, ROC ${roc}, SEQ ${(header[2]! << 8) | header[3]!}`;
        assert.equal(hex(t.protectRtp(header, payload, roc)), hex(expected), at);
        const plain = t.unprotectRtp(expected, header.length, roc);
        assert.equal(plain && hex(plain), hex(header) + hex(payload), at);
        // One flipped bit anywhere in the oracle's packet fails authentication.
        const tampered = expected.slice();
        tampered[(i * 7919) % tampered.length]! ^= 1 << (i % 8);
        assert.equal(t.unprotectRtp(tampered, header.length, roc), null, at);
      }
    });
  }
}
