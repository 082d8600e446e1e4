/**
 * A call's recording as the rest of the bridge asks for it: make it
 * ({@linkcode RecordingArchive.finish}: render through rec-capture's
 * `finishRecording`, then record and upload it), open it for the HTTP route
 * (wherever it is now, rendering on first request when the call has ended
 * but no file exists yet) and link to it for the end-of-call webhook.
 *
 * @module
 */
import type { RecordingRowStore } from "../../store/recordings.ts";
import type { LocalRecordingStore, RangeRequest, StoredRecording } from "./recording_store.ts";
import { recordingFileName } from "./recording_store.ts";
import type { S3RecordingStore } from "./s3_recording_store.ts";
import type { RecordingUploader } from "./upload_queue.ts";
import { type LinkKey, signRecordingLink } from "./recording_link.ts";

/**
 * Renders a call's recording to `RECORDINGS_DIR/<recordingFileName>` (rec-capture's
 * `finishRecording`); `null` when there was nothing recorded.
 */
export type FinishRecording = (callId: string) => Promise<{ durationMs?: number } | null>;

/** Dependencies of {@linkcode RecordingArchive}. */
export interface ArchiveOptions {
  rows: RecordingRowStore;
  local: LocalRecordingStore;
  /** Absent: recordings stay local. */
  remote?: S3RecordingStore | undefined;
  uploader: RecordingUploader;
  /** Absent: nothing is rendered on request (recording off). */
  finishRecording?: FinishRecording | undefined;
  /** True once the call has ended: only then may its recording be rendered. */
  callEnded: (callId: string) => Promise<boolean>;
  /** Signs bridge links. */
  linkKey: LinkKey;
  /** The bridge's URL as a link's receiver reaches it, e.g. `https://bridge.example.com`. */
  publicUrl: string;
  /** Links to recordings in S3 are presigned S3 URLs (default) or bridge links. */
  presignS3Links?: boolean | undefined;
  now?: () => Date;
}

/** Recordings of one bridge: made, opened, linked. */
export class RecordingArchive {
  readonly #o: ArchiveOptions;
  readonly #now: () => Date;
  readonly #rendering = new Map<string, Promise<boolean>>();

  /** See {@linkcode ArchiveOptions}. */
  constructor(options: ArchiveOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Renders the ended call's recording if it has none yet, records it and
   * starts its upload; true when a file exists afterwards. Concurrent calls
   * for one call share one render.
   */
  finish(callId: string): Promise<boolean> {
    const running = this.#rendering.get(callId);
    if (running) return running;
    const job = this.#finish(callId).finally(() => this.#rendering.delete(callId));
    this.#rendering.set(callId, job);
    return job;
  }

  async #finish(callId: string): Promise<boolean> {
    const key = recordingFileName(callId);
    const row = await this.#o.rows.getRecording(callId);
    if (row !== null && row.deletedAt === null) return true;
    let durationMs: number | undefined;
    if (!await exists(this.#o.local.pathOf(key))) {
      if (this.#o.finishRecording === undefined) return false;
      const made = await this.#o.finishRecording(callId);
      if (made === null || !await exists(this.#o.local.pathOf(key))) return false;
      durationMs = made.durationMs;
    }
    await this.#o.uploader.register(callId, key, durationMs);
    return true;
  }

  /**
   * The call's recording (or one range of it): from S3 or disk as its row
   * says; else a file on disk not yet recorded; else rendered now if the call
   * has ended. `null`: there is none (or not yet).
   */
  async open(callId: string, range?: RangeRequest): Promise<StoredRecording | null> {
    const row = await this.#o.rows.getRecording(callId);
    if (row !== null && row.deletedAt !== null) return null;
    if (row?.location === "s3") {
      // Kept locally too (keepLocal): disk is nearer than the bucket.
      return await this.#o.local.get(row.key, range) ??
        (await this.#o.remote?.get(row.key, range) ?? null);
    }
    const key = row?.key ?? recordingFileName(callId);
    const found = await this.#o.local.get(key, range);
    if (found !== null || row !== null) {
      if (found !== null && row === null) await this.finish(callId);
      return found;
    }
    if (!await this.#o.callEnded(callId) || !await this.finish(callId)) return null;
    return await this.#o.local.get(key, range);
  }

  /**
   * A link to the call's recording valid `ttlSeconds`: a presigned S3 URL
   * when the file is in the bucket, else a signed bridge link; `null` when
   * the call has no recording (recording off, or deleted by retention).
   */
  async link(callId: string, ttlSeconds: number): Promise<string | null> {
    const row = await this.#o.rows.getRecording(callId);
    if (row !== null && row.deletedAt !== null) return null;
    const remote = this.#o.remote;
    if (row?.location === "s3" && remote !== undefined && (this.#o.presignS3Links ?? true)) {
      return await remote.presignGet(row.key, ttlSeconds, this.#now());
    }
    if (row === null && !await exists(this.#o.local.pathOf(recordingFileName(callId)))) {
      return null;
    }
    return await signRecordingLink(
      this.#o.linkKey,
      this.#o.publicUrl,
      callId,
      ttlSeconds,
      this.#now(),
    );
  }
}

/**
 * `CallReportParts.recordingLink` for the end-of-call webhook: a link to the
 * call's recording valid `ttlSeconds` (default 7 days, the longest a
 * presigned S3 URL may live), or `null` when there is none.
 */
export function recordingLink(
  archive: RecordingArchive,
  ttlSeconds = 604_800,
): (callId: string) => Promise<string | null> {
  return (callId) => archive.link(callId, ttlSeconds);
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
