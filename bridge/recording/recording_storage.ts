/**
 * Recording storage for the whole bridge, wired from its settings: the local
 * store, the S3 store when configured, the durable upload queue (started, so
 * uploads a restart left pending go on), the retention sweep, the HTTP route
 * and `recordingLink` for the end-of-call webhook.
 *
 * @module
 */
import type { Hono } from "hono";
import type { RecordingRowStore } from "../../store/recordings.ts";
import { type CallStatus, TERMINAL_CALL_STATUSES } from "../../store/store.ts";
import { type FinishRecording, RecordingArchive, recordingLink } from "./recording_archive.ts";
import { linkKey } from "./recording_link.ts";
import { recordingRoutes } from "./recording_route.ts";
import { LocalRecordingStore, type RecordingStore } from "./recording_store.ts";
import { startRetentionSweep } from "./retention_sweep.ts";
import { S3RecordingStore } from "./s3_recording_store.ts";
import type { StorageConfig } from "./storage_config.ts";
import { RecordingUploader } from "./upload_queue.ts";

/** Dependencies of {@linkcode startRecordingStorage}. */
export interface RecordingStorageDeps {
  config: StorageConfig;
  /** The call store (its recording rows). */
  rows: RecordingRowStore;
  /** `VOICE_BRIDGE_SECRET`: the route's bearer secret, and the link key when no other is set. */
  bridgeSecret: string;
  /** rec-capture's `finishRecording`; absent when recording is off. */
  finishRecording?: FinishRecording | undefined;
  /** True once the call has ended (e.g. its record's status is terminal). */
  callEnded: (callId: string) => Promise<boolean>;
  now?: () => Date;
  uploadRetryIntervalMs?: number | undefined;
  sweepIntervalMs?: number | undefined;
}

/** The bridge's recording storage, running. */
export interface RecordingStorage {
  archive: RecordingArchive;
  uploader: RecordingUploader;
  /** Mount with `createApp({ recordingRoutes })`. */
  routes: Hono;
  /** `CallReportParts.recordingLink`. */
  recordingLink: (callId: string) => Promise<string | null>;
  /** Stops retries and sweeps, waiting for uploads under way. */
  stop(): Promise<void>;
}

/** Builds and starts recording storage. */
export async function startRecordingStorage(d: RecordingStorageDeps): Promise<RecordingStorage> {
  const { config } = d;
  const now = d.now ?? (() => new Date());
  const local = new LocalRecordingStore(config.dir);
  const remote = config.s3 === undefined ? undefined : new S3RecordingStore(config.s3);
  const uploader = new RecordingUploader({
    rows: d.rows,
    local,
    remote,
    keepLocal: config.keepLocal,
    now,
  });
  const key = await linkKey(d.bridgeSecret, config.linkSecret);
  const archive = new RecordingArchive({
    rows: d.rows,
    local,
    remote,
    uploader,
    finishRecording: d.finishRecording,
    callEnded: d.callEnded,
    linkKey: key,
    publicUrl: config.publicUrl,
    now,
  });
  uploader.start(d.uploadRetryIntervalMs);
  const stores: RecordingStore[] = remote === undefined ? [local] : [local, remote];
  const stopSweep = startRetentionSweep(
    { rows: d.rows, stores, retentionDays: config.retentionDays, now },
    d.sweepIntervalMs,
  );
  return {
    archive,
    uploader,
    routes: recordingRoutes({ archive, secret: d.bridgeSecret, linkKey: key, now }),
    recordingLink: recordingLink(archive, config.linkTtlSeconds),
    async stop() {
      stopSweep();
      await uploader.stop();
    },
  };
}

/**
 * `callEnded` over the call store: true once the call's record has a
 * terminal status (`completed`, `failed`, `rejected`).
 */
export function callEndedIn(
  store: { getCall(callId: string): Promise<{ status: CallStatus } | null> },
): (callId: string) => Promise<boolean> {
  return async (callId) => {
    const call = await store.getCall(callId);
    return call !== null && TERMINAL_CALL_STATUSES.includes(call.status);
  };
}
