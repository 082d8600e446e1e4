/**
 * s3rver, the S3-protocol server CI runs, accepts any Signature V4 (its V4
 * check is unimplemented), so a signing bug would pass every upload test.
 * This pins our signing to AWS's own published answer instead.
 *
 * @module
 */
import assert from "node:assert/strict";
import { S3RecordingStore } from "./s3_recording_store.ts";

// The example of "Authenticating Requests: Using Query Parameters (AWS
// Signature Version 4)", https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
// (the same key pair and date as the header example, whose expected signature
// f0e8bdb8… other SigV4 signers test against).
const AWS_EXAMPLE = {
  endpoint: "https://s3.amazonaws.com",
  bucket: "examplebucket",
  region: "us-east-1",
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  pathStyle: false,
};

Deno.test("a presigned recording link matches AWS's published Signature V4 example", async () => {
  const store = new S3RecordingStore(AWS_EXAMPLE);
  const url = new URL(
    await store.presignGet("test.txt", 86_400, new Date("2013-05-24T00:00:00Z")),
  );
  assert.equal(url.origin + url.pathname, "https://examplebucket.s3.amazonaws.com/test.txt");
  assert.equal(
    url.searchParams.get("X-Amz-Credential"),
    "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
  );
  assert.equal(url.searchParams.get("X-Amz-SignedHeaders"), "host");
  assert.equal(
    url.searchParams.get("X-Amz-Signature"),
    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
  );
});
