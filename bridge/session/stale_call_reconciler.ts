/**
 * Closes call records no one closed: every `intervalMs` a bounded batch of
 * calls still live past the longest call (`maxCallMs` plus a margin) is ended
 * with the reason {@linkcode STALE_END_REASON}. A lost terminate webhook or a
 * bridge that died mid-call then never leaves a call open forever.
 *
 * @module
 */
import type { StaleCallStore } from "../../store/stale_calls.ts";
import { eventLogger } from "../log.ts";
import type { Scheduler, TimerHandle } from "../media/frame_clock.ts";

/** `end_reason` of a call closed by the reconciler. */
export const STALE_END_REASON = "reconciled_stale";

/** What the reconciler logs. */
export type ReconcilerLogEvent = "CALLS_RECONCILED" | "CALLS_RECONCILE_FAILED";

/** Options of {@linkcode startStaleCallReconciler}. */
export interface ReconcilerOptions {
  store: StaleCallStore;
  /** The longest call the bridge allows (`MAX_CALL_MINUTES`). */
  maxCallMs: number;
  /** Added to `maxCallMs`: ringing, setup and goodbye time. Default 10 minutes. */
  marginMs?: number;
  /** Between passes. Default one minute. */
  intervalMs?: number;
  /** Calls closed per pass at most. Default 100. */
  batch?: number;
  /** Timers for the passes. */
  scheduler: Scheduler;
  /** Wall-clock time, epoch ms; default `Date.now`. */
  now?: () => number;
}

/** A running reconciler. */
export interface Reconciler {
  /** Runs one pass now; resolves with how many calls it closed. */
  pass(): Promise<number>;
  /** Stops the timer; a pass under way finishes. */
  stop(): void;
}

const log = eventLogger<ReconcilerLogEvent>("reconciler");

/** Starts the periodic passes (the first after `intervalMs`). */
export function startStaleCallReconciler(options: ReconcilerOptions): Reconciler {
  const { store, maxCallMs, scheduler } = options;
  const marginMs = options.marginMs ?? 10 * 60_000;
  const intervalMs = options.intervalMs ?? 60_000;
  const batch = options.batch ?? 100;
  const now = options.now ?? Date.now;
  let timer: TimerHandle | undefined;
  let stopped = false;

  async function pass(): Promise<number> {
    const at = now();
    const closed = await store.closeStaleCalls({
      createdBefore: new Date(at - maxCallMs - marginMs),
      limit: batch,
      endReason: STALE_END_REASON,
      now: new Date(at),
    });
    if (closed.length > 0) {
      log.warn("CALLS_RECONCILED", { callIds: closed.map((c) => c.callId), batch });
    }
    return closed.length;
  }

  function schedule(): void {
    if (stopped) return;
    timer = scheduler.setTimeout(() => {
      pass().catch((error) => log.error("CALLS_RECONCILE_FAILED", { error: String(error) }))
        .finally(schedule);
    }, intervalMs);
  }

  schedule();
  return {
    pass,
    stop() {
      stopped = true;
      scheduler.clearTimeout(timer);
    },
  };
}
