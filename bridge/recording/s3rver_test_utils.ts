/**
 * Test helpers of the recording folder: a test against a real s3rver
 * (`_s3rver.ts`), skipped visibly where it is not installed, with what most
 * such tests need, each made fresh and removed afterwards.
 *
 * @module
 */
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { S3RecordingStore, type S3StoreConfig } from "./s3_recording_store.ts";
import { type S3rver, S3RVER_KEY, s3rverAvailable, startS3rver } from "./_s3rver.ts";

const HAVE_S3RVER = s3rverAvailable();
/** Appended to a test's name where s3rver is missing, so the skip shows with its reason. */
const SKIPPED = HAVE_S3RVER ? "" : " (ignored: s3rver not installed; .ci/run installs it)";

/** What {@linkcode s3rverTest} gives a test. */
export interface S3rverFixture {
  /** The running s3rver (the test may stop and start it). */
  server: S3rver;
  /** A fresh temporary directory. */
  dir: string;
  /** A bucket store on `server` with s3rver's credentials; `config` overrides any of it. */
  bucket(config?: Partial<S3StoreConfig>): S3RecordingStore;
  /** An in-memory, migrated store, opened on first use. */
  rows(): Promise<Store>;
}

/**
 * Registers a test against a fresh s3rver, temporary directory and (on first
 * use) in-memory store, all closed and removed afterwards.
 */
export function s3rverTest(name: string, fn: (f: S3rverFixture) => Promise<void>): void {
  Deno.test({
    name: `${name}${SKIPPED}`,
    ignore: !HAVE_S3RVER,
    async fn() {
      const server = await startS3rver();
      const dir = await Deno.makeTempDir();
      let store: Promise<Store> | undefined;
      const bucket = (config: Partial<S3StoreConfig> = {}) =>
        new S3RecordingStore({
          endpoint: server.endpoint,
          bucket: server.bucket,
          region: "us-east-1",
          accessKeyId: S3RVER_KEY,
          secretAccessKey: S3RVER_KEY,
          ...config,
        });
      try {
        await fn({
          server,
          dir,
          bucket,
          rows: () => store ??= openStore({ pgliteDir: "memory://" }),
        });
      } finally {
        await (await store?.catch(() => undefined))?.close();
        await server.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
