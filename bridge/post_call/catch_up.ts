/**
 * Finishes the post-call work of calls no running bridge finished: the bridge
 * holding them died before its run, or the database was down longer than the
 * run's retries. At start-up and every `intervalMs`, a bounded batch of ended
 * calls lacking what a finished run writes (see
 * `store/post_call_backlog.ts`) is run again, one call at a time. Any bridge
 * may do it: a second run finds the analysis already stored (no second model
 * request) and the outbox keeps one message per call and type.
 *
 * @module
 */
import type { Store } from "../../store/store.ts";
import { eventLogger } from "../log.ts";

/** What the catch-up logs. */
export type CatchUpLogEvent = "POST_CALL_CATCH_UP" | "POST_CALL_CATCH_UP_FAILED";

/** Options of {@linkcode startPostCallCatchUp}. */
export interface CatchUpOptions {
  store: Pick<Store, "listPostCallBacklog">;
  /** Runs the call's post-call steps again (the runner's `runAgain`). */
  runAgain(callId: string): Promise<void>;
  /** Whether a finished run leaves a `call.analyzed` outbox row (webhooks on). */
  webhooks: boolean;
  /** Between sweeps. @default 300_000 */
  intervalMs?: number;
  /** A call younger than this may still have its first run under way. @default 600_000 */
  graceMs?: number;
  /** Older calls are left alone. @default 7 days */
  lookbackMs?: number;
  /** Calls per sweep. @default 20 */
  batch?: number;
  now?: () => number;
}

/** The running catch-up. */
export interface CatchUp {
  /** One sweep now; resolves with the calls it ran again. */
  sweep(): Promise<string[]>;
  /** Stops the timer and waits for a sweep under way. */
  stop(): Promise<void>;
}

/** Starts sweeping at once and every `intervalMs`. */
export function startPostCallCatchUp(o: CatchUpOptions): CatchUp {
  const log = eventLogger<CatchUpLogEvent>("post_call");
  const now = o.now ?? Date.now;
  let running: Promise<string[]> | undefined;
  let stopped = false;

  const sweepOnce = async (): Promise<string[]> => {
    const t = now();
    const ids = await o.store.listPostCallBacklog({
      endedAfter: new Date(t - (o.lookbackMs ?? 7 * 86_400_000)),
      endedBefore: new Date(t - (o.graceMs ?? 600_000)),
      webhooks: o.webhooks,
      limit: o.batch ?? 20,
    });
    for (const callId of ids) {
      if (stopped) break;
      log.info("POST_CALL_CATCH_UP", { callId });
      await o.runAgain(callId);
    }
    return ids;
  };
  const sweep = (): Promise<string[]> => {
    running ??= sweepOnce()
      .catch((error) => {
        log.warn("POST_CALL_CATCH_UP_FAILED", { error: String(error) });
        return [];
      })
      .finally(() => running = undefined);
    return running;
  };

  void sweep();
  const timer = setInterval(() => void sweep(), o.intervalMs ?? 300_000);
  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
