/**
 * Where each call's recording is, in `voice_call_recordings`, and the durable
 * queue of its upload to object storage: a row whose `next_attempt_at` is set
 * still has its file on the bridge's disk and is uploaded when that time
 * comes, so a recording that cannot be uploaded yet survives a restart.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";

/** Where a recording's file is: the bridge's `RECORDINGS_DIR` or the S3 bucket. */
export type RecordingLocation = "local" | "s3";

// bigint columns come back as text from postgres.js.
const timestamp = z.coerce.date();

/** A row of `voice_call_recordings`. */
export const recordingRowSchema = z.object({
  callId: z.string(),
  location: z.enum(["local", "s3"]),
  /** File name in `RECORDINGS_DIR`, or object key in the bucket. */
  key: z.string(),
  bytes: z.coerce.number().int().nonnegative(),
  durationMs: z.number().int().nullable(),
  createdAt: timestamp,
  uploadedAt: timestamp.nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  /** Set while an upload is pending. */
  nextAttemptAt: timestamp.nullable(),
  deletedAt: timestamp.nullable(),
});

/** A call's recording as stored. */
export type RecordingRow = z.infer<typeof recordingRowSchema>;

/** Input of {@linkcode RecordingRowStore.saveRecording}. */
export interface NewRecordingRow {
  callId: string;
  location: RecordingLocation;
  key: string;
  bytes: number;
  durationMs?: number | null | undefined;
  /** When set, an upload is pending from then on (the file is local). */
  uploadAt?: Date | undefined;
  /** The row's `created_at`; now when absent (the retention sweep counts from it). */
  createdAt?: Date | undefined;
}

/** Recording rows of a {@linkcode Store} (see `store.ts`). */
export interface RecordingRowStore {
  /** Creates or replaces the call's row (attempts reset, `deleted_at` cleared). */
  saveRecording(row: NewRecordingRow): Promise<RecordingRow>;
  /** The call's row, or `null`. */
  getRecording(callId: string): Promise<RecordingRow | null>;
  /** Rows whose upload is due at `now`, soonest first, at most `limit`. */
  listDueUploads(now: Date, limit: number): Promise<RecordingRow[]>;
  /** The upload succeeded: the file is now `key` in the bucket. */
  markRecordingUploaded(callId: string, key: string, at: Date): Promise<void>;
  /** An upload failed: one more attempt counted, the next one at `nextAttemptAt`. */
  markRecordingUploadFailed(callId: string, error: string, nextAttemptAt: Date): Promise<void>;
  /** The file was deleted (retention); nothing is pending any more. */
  markRecordingDeleted(callId: string, at: Date): Promise<void>;
  /** Rows not yet deleted and created before `before`, oldest first, at most `limit`. */
  listRecordingsCreatedBefore(before: Date, limit: number): Promise<RecordingRow[]>;
}

const SELECT = `call_id as "callId", location, key, bytes, duration_ms as "durationMs",
  created_at as "createdAt", uploaded_at as "uploadedAt", attempts, last_error as "lastError",
  next_attempt_at as "nextAttemptAt", deleted_at as "deletedAt"`;

/** Longest `last_error` kept: an S3 error body can be long. */
const MAX_ERROR_CHARS = 500;

/** The recording methods over `db`. */
export function recordingMethods(db: SqlAdapter): RecordingRowStore {
  const rows = (list: readonly unknown[]) => list.map((r) => recordingRowSchema.parse(r));
  return {
    async saveRecording(row) {
      const result = await db.query(
        `insert into public.voice_call_recordings
           (call_id, location, key, bytes, duration_ms, next_attempt_at, created_at)
         values ($1, $2, $3, $4, $5, $6::timestamptz, coalesce($7::timestamptz, now()))
         on conflict (call_id) do update set location = excluded.location, key = excluded.key,
           bytes = excluded.bytes, duration_ms = excluded.duration_ms,
           next_attempt_at = excluded.next_attempt_at, attempts = 0, last_error = null,
           uploaded_at = null, deleted_at = null
         returning ${SELECT}`,
        [
          row.callId,
          row.location,
          row.key,
          Math.trunc(row.bytes),
          row.durationMs === undefined || row.durationMs === null
            ? null
            : Math.trunc(row.durationMs),
          row.uploadAt?.toISOString() ?? null,
          row.createdAt?.toISOString() ?? null,
        ],
      );
      return recordingRowSchema.parse(result[0]);
    },

    async getRecording(callId) {
      const result = await db.query(
        `select ${SELECT} from public.voice_call_recordings where call_id = $1`,
        [callId],
      );
      return result[0] === undefined ? null : recordingRowSchema.parse(result[0]);
    },

    async listDueUploads(now, limit) {
      return rows(
        await db.query(
          `select ${SELECT} from public.voice_call_recordings
           where next_attempt_at is not null and next_attempt_at <= $1::timestamptz
             and location = 'local' and deleted_at is null
           order by next_attempt_at limit $2`,
          [now.toISOString(), Math.max(0, Math.trunc(limit))],
        ),
      );
    },

    async markRecordingUploaded(callId, key, at) {
      await db.query(
        `update public.voice_call_recordings set location = 's3', key = $2,
           uploaded_at = $3::timestamptz, next_attempt_at = null, last_error = null
         where call_id = $1`,
        [callId, key, at.toISOString()],
      );
    },

    async markRecordingUploadFailed(callId, error, nextAttemptAt) {
      await db.query(
        `update public.voice_call_recordings set attempts = attempts + 1, last_error = $2,
           next_attempt_at = $3::timestamptz
         where call_id = $1 and next_attempt_at is not null`,
        [callId, error.slice(0, MAX_ERROR_CHARS), nextAttemptAt.toISOString()],
      );
    },

    async markRecordingDeleted(callId, at) {
      await db.query(
        `update public.voice_call_recordings set deleted_at = $2::timestamptz,
           next_attempt_at = null
         where call_id = $1`,
        [callId, at.toISOString()],
      );
    },

    async listRecordingsCreatedBefore(before, limit) {
      return rows(
        await db.query(
          `select ${SELECT} from public.voice_call_recordings
           where deleted_at is null and created_at < $1::timestamptz
           order by created_at limit $2`,
          [before.toISOString(), Math.max(0, Math.trunc(limit))],
        ),
      );
    },
  };
}
