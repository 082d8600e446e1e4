/**
 * `GET /calls/:callId/recording` on the console: the call's stereo Ogg,
 * same-origin for the Call page's `<audio>` (the strict CSP allows media from
 * 'self' only), behind the console's sign-in, whole or one byte range
 * (Chromium seeks with ranges). The bytes come from the project's recording
 * storage: {@linkcode recordingReader} reads where the call's row says (disk
 * or S3) with the bridge's own `LocalRecordingStore` / `S3RecordingStore`;
 * inside the bridge's process its `RecordingArchive` can be passed instead.
 *
 * @module
 */
import type { Context } from "hono";
import type { ConsoleEnv } from "../server/context.ts";
import { consoleLogger } from "../server/log.ts";
import { parseRangeHeader, recordingReply } from "../../bridge/recording/recording_route.ts";
import {
  LocalRecordingStore,
  RangeNotSatisfiableError,
  type RangeRequest,
  recordingFileName,
  type StoredRecording,
} from "../../bridge/recording/recording_store.ts";
import { S3RecordingStore } from "../../bridge/recording/s3_recording_store.ts";
import type { StorageConfig } from "../../bridge/recording/storage_config.ts";
import { storageConfigFromEnv } from "../../bridge/recording/storage_config.ts";
import type { RecordingRowStore } from "../../store/recordings.ts";

/** What the Call page needs of recording storage (a `RecordingArchive` fits). */
export interface ConsoleRecordings {
  /** The call's recording or one range of it; `null` when there is none. */
  open(callId: string, range?: RangeRequest): Promise<StoredRecording | null>;
}

/** Reads recordings where their rows say, never writing, rendering or uploading. */
export function recordingReader(
  config: Pick<StorageConfig, "dir" | "s3">,
  rows: Pick<RecordingRowStore, "getRecording">,
): ConsoleRecordings {
  const local = new LocalRecordingStore(config.dir);
  const remote = config.s3 === undefined ? undefined : new S3RecordingStore(config.s3);
  return {
    async open(callId, range) {
      const row = await rows.getRecording(callId);
      if (row !== null && row.deletedAt !== null) return null;
      const key = row?.key ?? recordingFileName(callId);
      // Kept locally too after an upload (keepLocal): disk is nearer than the bucket.
      const found = await local.get(key, range);
      if (found !== null || row?.location !== "s3") return found;
      return await remote?.get(key, range) ?? null;
    },
  };
}

/**
 * {@linkcode recordingReader} over the recording settings in the environment
 * (`RECORDINGS_DIR`, `RECORDINGS_S3_*`); `undefined` when they are invalid
 * (the bridge refuses to start on those; the console shows no player).
 */
export function recordingsFromEnv(
  rows: Pick<RecordingRowStore, "getRecording">,
  get: (name: string) => string | undefined,
): ConsoleRecordings | undefined {
  const names = [
    "RECORDINGS_DIR",
    "RECORDINGS_S3_ENDPOINT",
    "RECORDINGS_S3_BUCKET",
    "RECORDINGS_S3_REGION",
    "RECORDINGS_S3_ACCESS_KEY_ID",
    "RECORDINGS_S3_SECRET_ACCESS_KEY",
    "RECORDINGS_S3_PREFIX",
    "RECORDINGS_S3_PATH_STYLE",
  ];
  try {
    return recordingReader(
      storageConfigFromEnv(Object.fromEntries(names.map((n) => [n, get(n)]))),
      rows,
    );
  } catch {
    return undefined;
  }
}

/** Answers a recording request for `callId` from `recordings`. */
export async function serveRecording(
  c: Context<ConsoleEnv>,
  recordings: ConsoleRecordings | undefined,
  callId: string,
): Promise<Response> {
  if (recordings === undefined) return c.text("Recordings are not available here.", 404);
  let found: StoredRecording | null;
  try {
    found = await recordings.open(callId, parseRangeHeader(c.req.header("range")));
  } catch (error) {
    if (!(error instanceof RangeNotSatisfiableError)) {
      consoleLogger("call").error("CONSOLE_RECORDING_FAILED", { callId, error: String(error) });
      throw error;
    }
    return c.body(null, 416, { "content-range": `bytes */${error.size}` });
  }
  if (found === null) return c.text("This call has no recording.", 404);
  return await recordingReply(c, found, "private, no-store");
}
