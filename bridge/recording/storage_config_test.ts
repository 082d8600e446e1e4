import assert from "node:assert/strict";
import { storageConfigFromEnv, storageSecrets } from "./storage_config.ts";

Deno.test("storage config: local by default, retention off, links to the bridge's port", () => {
  const c = storageConfigFromEnv({ BRIDGE_PORT: "9090" });
  assert.deepEqual(c, {
    dir: ".data/recordings",
    s3: undefined,
    keepLocal: false,
    retentionDays: 0,
    linkSecret: undefined,
    linkTtlSeconds: 604_800,
    publicUrl: "http://localhost:9090",
  });
});

Deno.test("storage config: S3 needs bucket and keys, named in the error, never a value", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  assert.throws(
    () =>
      storageConfigFromEnv({
        RECORDINGS_S3_ENDPOINT: "https://x.supabase.co/storage/v1/s3",
        RECORDINGS_S3_SECRET_ACCESS_KEY: secret,
      }),
    (e: Error) =>
      /RECORDINGS_S3_BUCKET/.test(e.message) && /RECORDINGS_S3_ACCESS_KEY_ID/.test(e.message) &&
      !e.message.includes(secret),
  );
  const c = storageConfigFromEnv({
    RECORDINGS_S3_ENDPOINT: "https://x.supabase.co/storage/v1/s3",
    RECORDINGS_S3_BUCKET: "recordings",
    RECORDINGS_S3_REGION: "eu-west-2",
    RECORDINGS_S3_ACCESS_KEY_ID: "id",
    RECORDINGS_S3_SECRET_ACCESS_KEY: secret,
    RECORDINGS_S3_PATH_STYLE: "false",
    RECORDING_RETENTION_DAYS: "90",
    RECORDING_LINK_SECRET: "link-secret-link-secret",
  });
  assert.equal(c.s3?.pathStyle, false);
  assert.equal(c.s3?.region, "eu-west-2");
  assert.equal(c.retentionDays, 90);
  assert.deepEqual(storageSecrets(c), [secret, "link-secret-link-secret"]);
  assert.throws(() => storageConfigFromEnv({ RECORDING_RETENTION_DAYS: "-1" }), /RETENTION/);
  assert.throws(() => storageConfigFromEnv({ RECORDING_LINK_SECRET: "short" }), /LINK_SECRET/);
});
