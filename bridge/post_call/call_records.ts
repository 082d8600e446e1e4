/**
 * Everything a call leaves behind once it ends, wired in one place for both
 * `deno task bridge` and `deno task dev`: recording storage (disk or S3, the
 * recording route and its signed links), and the post-call runner with its
 * steps (finish the recording, settle cost and latency, analyse) and the
 * report parts the end-of-call webhook reads back.
 *
 * @module
 */
import type { Store } from "../../store/store.ts";
import { analyseCall, callAnalysis } from "../analysis/analyse_call.ts";
import type { BridgeConfig } from "../config.ts";
import { callCost, callLatency, settleCallFigures } from "../figures/settle.ts";
import type { BridgeOverrides } from "../main.ts";
import { finishRecording, leftoverRawRecordings } from "../recording/recordings.ts";
import type { RecordingArchive } from "../recording/recording_archive.ts";
import { callEndedIn, startRecordingStorage } from "../recording/recording_storage.ts";
import { storageConfigFromEnv } from "../recording/storage_config.ts";
import { startPostCall } from "./start_post_call.ts";

/** The running post-call side, and what `startBridge` needs of it. */
export interface CallRecords {
  /** Pass to `startBridge`: the runner hears each ended call; the recording route. */
  overrides: Required<Pick<BridgeOverrides, "onCallEnded" | "recordingRoutes">>;
  /** Call ids whose raw recording a crash left behind, rendered and stored at start-up. */
  recovered: Promise<string[]>;
  /** Lets post-call runs finish (bounded), then stops uploads, sweeps and deliveries. */
  stop(): Promise<void>;
}

/**
 * Starts recording storage and the post-call runner over `store`, resuming
 * uploads and webhook deliveries an earlier process left pending.
 * `vars` are the environment the recording storage reads.
 */
export async function startCallRecords(
  config: BridgeConfig,
  store: Store,
  vars: Record<string, string | undefined>,
): Promise<CallRecords> {
  const callEnded = callEndedIn(store);
  const recordings = await startRecordingStorage({
    config: storageConfigFromEnv(vars),
    rows: store,
    bridgeSecret: config.env.VOICE_BRIDGE_SECRET,
    finishRecording: config.recording.enabled
      ? (callId) => finishRecording(callId, config.recording.dir)
      : undefined,
    callEnded,
  });
  const postCall = startPostCall({
    env: config.env,
    store,
    steps: {
      finishRecording: (callId) => recordings.archive.finish(callId),
      settleCallFigures: (callId) =>
        settleCallFigures(store, callId, {
          prices: config.figures.prices,
          metaPricing: config.figures.metaPricing,
        }),
      analyseCall: (callId) => analyseCall({ store, config: config.analysis }, callId),
    },
    parts: {
      cost: (callId) => callCost(store, callId),
      latency: (callId) => callLatency(store, callId),
      recordingLink: recordings.recordingLink,
      analysis: (callId) => callAnalysis(store, callId),
    },
  });
  const recovered = config.recording.enabled
    ? recoverRawRecordings(config.recording.dir, recordings.archive, callEnded)
    : Promise.resolve([]);
  return {
    overrides: { onCallEnded: postCall.onCallEnded, recordingRoutes: recordings.routes },
    recovered,
    async stop() {
      await recovered;
      await postCall.stop();
      await recordings.stop();
    },
  };
}

/**
 * Renders and stores, one at a time in the background, the raw recordings an
 * earlier process left when it died mid-call or before its post-call run, so
 * that no recording waits for someone to ask for it. A call not ended yet in
 * the store is left to the recording route (rendered on first request).
 */
export async function recoverRawRecordings(
  dir: string,
  archive: Pick<RecordingArchive, "finish">,
  callEnded: (callId: string) => Promise<boolean>,
): Promise<string[]> {
  const done: string[] = [];
  for (const callId of await leftoverRawRecordings(dir).catch(() => [])) {
    const ok = await callEnded(callId).then((ended) => ended && archive.finish(callId))
      .catch(() => false);
    if (ok) done.push(callId);
  }
  return done;
}
