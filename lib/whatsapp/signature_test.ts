import assert from "node:assert/strict";
import { signMetaBody, verifyMetaSignature } from "./signature.ts";

const SECRET = "0123456789abcdef0123456789abcdef";
const BODY = '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]}';
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("signMetaBody matches an independently known HMAC-SHA256", async () => {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  assert.equal(
    await signMetaBody(bytes("what do ya want for nothing?"), "Jefe"),
    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("a body signed with the app secret verifies, string or bytes", async () => {
  const header = await signMetaBody(BODY, SECRET);
  assert.match(header, /^sha256=[0-9a-f]{64}$/);
  assert.equal(header, await signMetaBody(bytes(BODY), SECRET));
  assert.equal(await verifyMetaSignature(bytes(BODY), header, SECRET), true);
});

Deno.test("uppercase hex and surrounding whitespace are accepted", async () => {
  const header = await signMetaBody(BODY, SECRET);
  const upper = "sha256=" + header.slice(7).toUpperCase();
  assert.equal(await verifyMetaSignature(bytes(BODY), upper, SECRET), true);
  assert.equal(await verifyMetaSignature(bytes(BODY), ` ${header} `, SECRET), true);
});

Deno.test("one changed byte fails", async () => {
  const header = await signMetaBody(BODY, SECRET);
  const tampered = bytes(BODY);
  tampered[10] = tampered[10]! ^ 1;
  assert.equal(await verifyMetaSignature(tampered, header, SECRET), false);
});

Deno.test("a re-serialised body (same JSON, other whitespace) fails", async () => {
  const header = await signMetaBody(BODY, SECRET);
  const reserialised = JSON.stringify(JSON.parse(BODY), null, 2);
  assert.deepEqual(JSON.parse(reserialised), JSON.parse(BODY));
  assert.equal(await verifyMetaSignature(bytes(reserialised), header, SECRET), false);
});

Deno.test("wrong secret, missing header and empty secret fail", async () => {
  const header = await signMetaBody(BODY, SECRET);
  assert.equal(await verifyMetaSignature(bytes(BODY), header, SECRET + "x"), false);
  assert.equal(await verifyMetaSignature(bytes(BODY), null, SECRET), false);
  assert.equal(await verifyMetaSignature(bytes(BODY), header, ""), false);
});

Deno.test("malformed headers are rejected", async () => {
  const header = await signMetaBody(BODY, SECRET);
  const hex = header.slice(7);
  for (
    const bad of [
      "",
      hex, // no prefix
      "sha1=" + hex,
      "SHA256=" + hex,
      "sha256=" + hex.slice(0, 62), // short
      "sha256=" + hex + "00", // long
      "sha256=" + hex.slice(0, 62) + "zz", // not hex
      "sha256=" + hex + ",sha256=" + hex,
    ]
  ) {
    assert.equal(await verifyMetaSignature(bytes(BODY), bad, SECRET), false, bad);
  }
});

Deno.test("bodies backed by a SharedArrayBuffer verify", async () => {
  const header = await signMetaBody(BODY, SECRET);
  const plain = bytes(BODY);
  const shared = new Uint8Array(new SharedArrayBuffer(plain.length));
  shared.set(plain);
  assert.equal(await verifyMetaSignature(shared, header, SECRET), true);
});
