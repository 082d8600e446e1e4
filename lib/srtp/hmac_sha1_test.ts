import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { HmacSha1 } from "./hmac_sha1.ts";
import { mulberry32 } from "../../simulator/prng.ts";
import { hex, unhex } from "../../tests/support/hex.ts";

const text = (s: string) => new TextEncoder().encode(s);

function mac(key: Uint8Array, data: Uint8Array, length = 20): string {
  const out = new Uint8Array(length);
  new HmacSha1(key).update(data).finish(out, 0, length);
  return hex(out);
}

Deno.test("HMAC-SHA1 matches RFC 2202 test cases 1–7", () => {
  const aa80 = new Uint8Array(80).fill(0xaa);
  const cases: Array<[Uint8Array, Uint8Array, string]> = [
    [new Uint8Array(20).fill(0x0b), text("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"],
    [
      text("Jefe"),
      text("what do ya want for nothing?"),
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    ],
    [
      new Uint8Array(20).fill(0xaa),
      new Uint8Array(50).fill(0xdd),
      "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
    ],
    [
      unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
      new Uint8Array(50).fill(0xcd),
      "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
    ],
    [
      new Uint8Array(20).fill(0x0c),
      text("Test With Truncation"),
      "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
    ],
    [
      aa80,
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "aa4ae5e15272d00e95705637ce8a3b55ed402112",
    ],
    [
      aa80,
      text("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
      "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
    ],
  ];
  for (const [key, data, digest] of cases) assert.equal(mac(key, data), digest);
  // Test case 5's truncation to 96 bits.
  assert.equal(
    mac(new Uint8Array(20).fill(0x0c), text("Test With Truncation"), 12),
    "4c1a03424b55e07fe7f27be1",
  );
});

Deno.test("chunked updates, offsets and reuse after reset agree with node's HMAC-SHA1", () => {
  const rand = mulberry32(2202);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
  for (let i = 0; i < 100; i++) {
    const key = bytes((rand() * 100) | 0);
    const hmac = new HmacSha1(key);
    for (let round = 0; round < 3; round++) {
      const data = bytes((rand() * 300) | 0);
      const expected = createHmac("sha1", key).update(data).digest("hex");
      // Split at random points, including empty chunks.
      hmac.reset();
      let at = 0;
      while (at < data.length) {
        const end = Math.min(data.length, at + ((rand() * 80) | 0));
        hmac.update(data, at, end);
        at = end;
      }
      const out = new Uint8Array(24).fill(0xee);
      hmac.finish(out, 2);
      assert.equal(hex(out.subarray(2, 22)), expected);
      assert.deepEqual([out[0], out[1], out[22], out[23]], [0xee, 0xee, 0xee, 0xee]);
    }
  }
});

Deno.test("lengths around the padding boundary (55, 56, 63, 64 bytes past the pad block)", () => {
  const key = text("key");
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128]) {
    const data = new Uint8Array(n).fill(n);
    assert.equal(mac(key, data), createHmac("sha1", key).update(data).digest("hex"), `n=${n}`);
  }
});
