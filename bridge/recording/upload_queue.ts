/**
 * Uploading rendered recordings to object storage without losing any. A
 * recording is first a file in `RECORDINGS_DIR` and a `voice_call_recordings`
 * row saying so, with an upload pending; the upload is tried at once and,
 * when it fails (storage down, credentials wrong), again with backoff for as
 * long as it takes. The row is the queue: a bridge restarted mid-backoff
 * finds the pending uploads there and goes on. Only after the row says `s3`
 * is the local copy removed (or kept, with `keepLocal`).
 *
 * @module
 */
import { callLogger, eventLogger } from "../log.ts";
import type { RecordingRow, RecordingRowStore } from "../../store/recordings.ts";
import type { LocalRecordingStore, RecordingStore } from "./recording_store.ts";

/** Log events of uploads (with `callId`). */
export type RecordingUploadLogEvent =
  /** The recording is in object storage: `key`, `bytes`, `attempts` before it. */
  | "RECORDING_UPLOADED"
  /** An upload failed (`error`, `attempts`); the file stays on disk until `retryInMs`. */
  | "RECORDING_UPLOAD_FAILED"
  /** The local file of a pending upload is gone: nothing left to upload. */
  | "RECORDING_UPLOAD_FILE_MISSING"
  /** The retry pass itself failed (the database is down): tried again next tick. */
  | "RECORDING_UPLOAD_PASS_FAILED";

/**
 * Waits after the n-th failure (the last one repeats): the first retry within
 * seconds, then ever longer, never giving up.
 */
export const UPLOAD_BACKOFF_MS: readonly number[] = [
  5_000,
  30_000,
  120_000,
  600_000,
  1_800_000,
  3_600_000,
];

/** The wait after `attempts` failures (1 = the first). */
export function uploadBackoffMs(attempts: number, table: readonly number[] = UPLOAD_BACKOFF_MS) {
  return table[Math.min(Math.max(attempts, 1), table.length) - 1]!;
}

/** Dependencies of {@linkcode RecordingUploader}. */
export interface UploaderOptions {
  rows: RecordingRowStore;
  local: LocalRecordingStore;
  /** Absent: recordings stay local (no S3 configured). */
  remote?: RecordingStore | undefined;
  /** Keep the local copy after upload (default false). */
  keepLocal?: boolean | undefined;
  now?: () => Date;
  backoffMs?: readonly number[] | undefined;
}

/** What {@linkcode RecordingUploader.register} saved, and its first upload. */
export interface Registered {
  row: RecordingRow;
  /** Settles (never rejects) when the first attempt ends: true if it uploaded. */
  upload: Promise<boolean>;
}

/** Rows retried per pass at most, so one pass is bounded. */
const RETRY_BATCH = 20;

/** The durable upload queue of one bridge. */
export class RecordingUploader {
  readonly #o: UploaderOptions;
  readonly #now: () => Date;
  readonly #inFlight = new Map<string, Promise<boolean>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #pass: Promise<number> | undefined;

  /** Nothing runs until {@linkcode register}, {@linkcode retryDue} or {@linkcode start}. */
  constructor(options: UploaderOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Records the call's rendered file (`RECORDINGS_DIR/<name>.ogg`, which must
   * exist) and, with object storage, starts its upload.
   */
  async register(callId: string, key: string, durationMs?: number | null): Promise<Registered> {
    const { size } = await Deno.stat(this.#o.local.pathOf(key));
    const row = await this.#o.rows.saveRecording({
      callId,
      location: "local",
      key,
      bytes: size,
      durationMs,
      uploadAt: this.#o.remote === undefined ? undefined : this.#now(),
    });
    const upload = this.#o.remote === undefined ? Promise.resolve(false) : this.#upload(row);
    return { row, upload };
  }

  /** Tries every upload due now (at most a batch); resolves to how many succeeded. */
  retryDue(): Promise<number> {
    // One pass at a time: a slow pass is not overlapped by the next tick.
    this.#pass ??= this.#retryDue().finally(() => (this.#pass = undefined));
    return this.#pass;
  }

  /** Retries at once (uploads a restart left pending), then every `intervalMs`. */
  start(intervalMs = 5_000): void {
    if (this.#timer !== undefined || this.#o.remote === undefined) return;
    const tick = () => {
      this.retryDue().catch((error) =>
        eventLogger<RecordingUploadLogEvent>("recording").warn("RECORDING_UPLOAD_PASS_FAILED", {
          error: String(error),
        })
      );
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
  }

  /** Stops the timer and waits for uploads under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#inFlight.values(), this.#pass]);
  }

  async #retryDue(): Promise<number> {
    if (this.#o.remote === undefined) return 0;
    const due = await this.#o.rows.listDueUploads(this.#now(), RETRY_BATCH);
    const results = await Promise.all(due.map((row) => this.#upload(row)));
    return results.filter(Boolean).length;
  }

  /** One attempt for `row`, unless one is already under way for its call. */
  #upload(row: RecordingRow): Promise<boolean> {
    const running = this.#inFlight.get(row.callId);
    if (running) return running;
    const job = this.#attempt(row).finally(() => this.#inFlight.delete(row.callId));
    this.#inFlight.set(row.callId, job);
    return job;
  }

  async #attempt(row: RecordingRow): Promise<boolean> {
    const remote = this.#o.remote!;
    const log = callLogger<RecordingUploadLogEvent>(row.callId, "recording");
    const path = this.#o.local.pathOf(row.key);
    try {
      const { bytes } = await remote.put(row.key, path);
      await this.#o.rows.markRecordingUploaded(row.callId, row.key, this.#now());
      // The row says s3 before the local copy goes: a crash in between leaves a spare copy.
      if (!this.#o.keepLocal) await this.#o.local.delete(row.key);
      log.info("RECORDING_UPLOADED", { key: row.key, bytes, attempts: row.attempts });
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        log.error("RECORDING_UPLOAD_FILE_MISSING", { key: row.key });
        await this.#o.rows.markRecordingDeleted(row.callId, this.#now()).catch(() => {});
        return false;
      }
      const attempts = row.attempts + 1;
      const retryInMs = uploadBackoffMs(attempts, this.#o.backoffMs);
      log.warn("RECORDING_UPLOAD_FAILED", {
        key: row.key,
        attempts,
        retryInMs,
        error: message(error),
      });
      const next = new Date(this.#now().getTime() + retryInMs);
      await this.#o.rows.markRecordingUploadFailed(row.callId, message(error), next).catch(() => {
        // The database is down too: the row still says pending and due; the next pass retries.
      });
      return false;
    }
  }
}

/** The error and its cause ("fetch failed" alone says nothing of why). */
function message(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
