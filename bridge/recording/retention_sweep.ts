/**
 * `RECORDING_RETENTION_DAYS`: recordings older than that are deleted, on
 * disk and in the bucket, and their rows marked deleted (kept as the record
 * that there was one). A sweep runs at start and then periodically; each is
 * bounded (a batch per store), so a backlog drains over a few sweeps.
 *
 * Age is the file's own time (mtime, S3 LastModified) and the row's
 * `created_at`: files nobody recorded (a crash between render and row) are
 * swept too.
 *
 * @module
 */
import { eventLogger } from "../log.ts";
import type { RecordingRowStore } from "../../store/recordings.ts";
import { callIdOfFileName, type RecordingStore } from "./recording_store.ts";

/** Log events of the sweep. */
export type RetentionLogEvent =
  /** A sweep deleted `deleted` files (`local`, `s3`) older than `before`. */
  | "RECORDING_RETENTION_SWEPT"
  /** A sweep failed (`error`); the next one tries again. */
  | "RECORDING_RETENTION_FAILED";

/** Dependencies of {@linkcode sweepRecordings}. */
export interface SweepOptions {
  rows: RecordingRowStore;
  /** The local store, and the S3 one when configured. */
  stores: readonly RecordingStore[];
  retentionDays: number;
  now: () => Date;
  /** Files and rows handled per store per sweep; default 500. */
  batch?: number | undefined;
}

/** What one sweep deleted. */
export interface SweepResult {
  before: Date;
  deleted: { local: number; s3: number };
  rowsMarked: number;
}

const DAY_MS = 86_400_000;

/** Deletes every recording older than the retention (one bounded batch per store). */
export async function sweepRecordings(o: SweepOptions): Promise<SweepResult> {
  const now = o.now();
  const before = new Date(now.getTime() - o.retentionDays * DAY_MS);
  const batch = o.batch ?? 500;
  const deleted = { local: 0, s3: 0 };
  const callIds = new Set<string>();
  for (const store of o.stores) {
    for (const { key } of await store.listOlderThan(before, batch)) {
      await store.delete(key);
      deleted[store.kind]++;
      const callId = callIdOfFileName(key);
      if (callId !== undefined) callIds.add(callId);
    }
  }
  // Rows past retention whose files were already gone (or listed in a later batch).
  for (const row of await o.rows.listRecordingsCreatedBefore(before, batch)) {
    await Promise.all(o.stores.map((s) => s.delete(row.key)));
    callIds.add(row.callId);
  }
  for (const callId of callIds) await o.rows.markRecordingDeleted(callId, now);
  return { before, deleted, rowsMarked: callIds.size };
}

/**
 * Sweeps now and every `intervalMs` (default hourly); `retentionDays` 0
 * keeps recordings forever (no sweep). Returns a stop function.
 */
export function startRetentionSweep(o: SweepOptions, intervalMs = 3_600_000): () => void {
  if (o.retentionDays <= 0) return () => {};
  const log = eventLogger<RetentionLogEvent>("recording");
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const r = await sweepRecordings(o);
      if (r.deleted.local + r.deleted.s3 + r.rowsMarked > 0) {
        log.info("RECORDING_RETENTION_SWEPT", { before: r.before.toISOString(), ...r.deleted });
      }
    } catch (error) {
      log.warn("RECORDING_RETENTION_FAILED", { error: String(error) });
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(tick, intervalMs);
  return () => clearInterval(timer);
}
