import assert from "node:assert/strict";
import { parseListing, S3RequestError } from "./s3_recording_store.ts";
import { RangeNotSatisfiableError, recordingFileName } from "./recording_store.ts";
import { s3rverTest } from "./s3rver_test_utils.ts";

/** A call id as Meta makes them: base64, with `/`, `+` and `=`. */
const CALL = "wacid.HBgLMTIx/NTU1+NTEy==";

function bytes(n: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(n).map((_, i) => (i * 7) % 251);
}

async function read(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

s3rverTest(
  "S3 store on a real S3 server: SigV4 path-style PUT, ranged GET, List, DELETE",
  async ({ dir, bucket }) => {
    const file = `${dir}/upload`;
    const store = bucket({ prefix: "recordings/" });
    const data = bytes(70_000);
    await Deno.writeFile(file, data);
    const key = recordingFileName(CALL);
    assert.deepEqual(await store.put(key, file), { bytes: data.length });
    // The object sits under the prefix, in the bucket's own folder on the server's disk.
    const whole = await store.get(key);
    assert.equal(whole!.size, data.length);
    assert.deepEqual(await read(whole!.body), data);

    const part = await store.get(key, { start: 100, end: 199 });
    assert.deepEqual(part!.range, { start: 100, end: 199 });
    assert.equal(part!.size, data.length);
    assert.deepEqual(await read(part!.body), data.subarray(100, 200));
    const tail = await store.get(key, { suffix: 10 });
    assert.deepEqual(tail!.range, { start: data.length - 10, end: data.length - 1 });
    assert.deepEqual(await read(tail!.body), data.subarray(data.length - 10));
    await assert.rejects(store.get(key, { start: data.length + 5 }), RangeNotSatisfiableError);

    const later = new Date(Date.now() + 60_000);
    assert.deepEqual((await store.listOlderThan(later, 10)).map((k) => k.key), [key]);
    assert.deepEqual(await store.listOlderThan(new Date(Date.now() - 60_000), 10), []);

    await store.delete(key);
    assert.equal(await store.get(key), null);
    await store.delete(key); // a missing object is not an error
    assert.deepEqual(await store.listOlderThan(later, 10), []);
  },
);

s3rverTest(
  "S3 store: a presigned GET works without credentials until it expires",
  async ({ dir, bucket }) => {
    const file = `${dir}/upload`;
    const secret = "not-the-real-secret-but-long";
    const store = bucket({ secretAccessKey: secret });
    await Deno.writeFile(file, bytes(500));
    await store.put("a.ogg", file);
    const url = await store.presignGet("a.ogg", 60);
    assert.ok(!url.includes(secret), "a presigned URL never carries the secret");
    assert.match(url, /X-Amz-Algorithm=AWS4-HMAC-SHA256/);
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal((await ok.arrayBuffer()).byteLength, 500);
    // Signed two minutes ago for 60 s: the server refuses it.
    const old = await store.presignGet("a.ogg", 60, new Date(Date.now() - 120_000));
    const expired = await fetch(old);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /expired/);
  },
);

s3rverTest(
  "S3 store: an unknown access key is refused, and the error holds no secret",
  async ({ dir, bucket }) => {
    const file = `${dir}/upload`;
    const secret = "super-secret-access-key-123";
    const store = bucket({ accessKeyId: "NOT-A-KEY", secretAccessKey: secret });
    await Deno.writeFile(file, bytes(10));
    const error = await store.put("a.ogg", file).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof S3RequestError);
    assert.equal(error.status, 403);
    assert.match(error.message, /InvalidAccessKeyId/);
    assert.ok(!error.message.includes(secret) && !String(error.stack).includes(secret));
  },
);

Deno.test("parseListing reads keys, dates and the continuation token", () => {
  const xml = `<ListBucketResult><IsTruncated>true</IsTruncated>
    <Contents><Key>r/a&amp;b.ogg</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified></Contents>
    <Contents><Key>r/c.ogg</Key><LastModified>bad</LastModified></Contents>
    <NextContinuationToken>tok</NextContinuationToken></ListBucketResult>`;
  assert.deepEqual(parseListing(xml), {
    items: [{ key: "r/a&b.ogg", lastModified: new Date("2026-01-02T03:04:05Z") }],
    nextToken: "tok",
  });
});
