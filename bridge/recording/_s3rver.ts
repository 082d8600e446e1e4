/**
 * Test support: a real S3-protocol server, `s3rver` (npm; `.ci/run`
 * installs it), as a child process on loopback with its own data directory.
 * It can be stopped and started again on the same port and data, so a test
 * can take the bucket away for a while.
 *
 * s3rver parses SigV4 (header and presigned query, with expiry and clock
 * skew checks) and checks the access key id, but does not recompute V4
 * signatures: the signing itself is aws4fetch's, used as published.
 *
 * @module
 */

/** s3rver's built-in account. */
export const S3RVER_KEY = "S3RVER";

/** True when the `s3rver` command is installed. */
export function s3rverAvailable(): boolean {
  try {
    const out = new Deno.Command("s3rver", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return out.success;
  } catch {
    return false;
  }
}

/** A running (or stopped) s3rver. */
export interface S3rver {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  /** Where it keeps its objects. */
  readonly dataDir: string;
  /** Stops it (the port refuses connections until `start`). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitListening(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`s3rver did not listen on ${port} within ${deadlineMs} ms`);
}

/** Starts s3rver with one bucket, `bucket`. */
export async function startS3rver(bucket = "recordings"): Promise<S3rver> {
  const port = freePort();
  const dataDir = await Deno.makeTempDir({ prefix: "s3rver-" });
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command("s3rver", {
      args: [
        "-d",
        dataDir,
        "-a",
        "127.0.0.1",
        "-p",
        String(port),
        "--silent",
        "--no-vhost-buckets",
        "--configure-bucket",
        bucket,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitListening(port, 15_000);
  };
  const stop = async () => {
    if (child === undefined) return;
    child.kill("SIGTERM");
    await child.status;
    child = undefined;
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    dataDir,
    start,
    stop,
    async close() {
      await stop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}
