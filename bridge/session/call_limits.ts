/**
 * When a live call must end on its own: at the maximum length, and after the
 * caller has been silent too long. The silence watch re-arms from the
 * caller's last voice, so a caller who keeps talking is never cut off.
 *
 * @module
 */
import type { TimerSet } from "../agents/timers.ts";
import type { TimerHandle } from "../media/frame_clock.ts";

/** Which limit a call reached. */
export type CallLimit = "max_duration" | "caller_silence";

/** What {@linkcode armCallLimits} needs. */
export interface CallLimitOptions {
  /** The call's timers; cleared when the call ends. */
  timers: TimerSet<TimerHandle>;
  /** The scheduler's clock, ms. */
  now: () => number;
  /** When, on `now`'s clock, the caller last spoke (media start until they do). */
  lastVoiceAt: () => number;
  /** Longest call, ms. */
  maxCallMs: number;
  /** Caller silence that ends the call, ms; 0 disables the watch. */
  callerSilenceTimeoutMs: number;
  /** Called once, for the first limit reached, with the measure that crossed it. */
  onLimit: (limit: CallLimit, detail: { maxCallMs: number } | { silentMs: number }) => void;
}

/** Arms both limits from now (media start); only the first one reached is reported. */
export function armCallLimits(options: CallLimitOptions): void {
  const { timers, maxCallMs, callerSilenceTimeoutMs: silenceMs } = options;
  let reached = false;
  // One goodbye per call, even when both limits fall due together.
  const reach: CallLimitOptions["onLimit"] = (limit, detail) => {
    if (reached) return;
    reached = true;
    options.onLimit(limit, detail);
  };
  timers.after(maxCallMs, () => reach("max_duration", { maxCallMs }));
  if (silenceMs <= 0) return;
  const check = () => {
    const silentMs = options.now() - options.lastVoiceAt();
    if (silentMs < silenceMs) timers.after(silenceMs - silentMs, check);
    else reach("caller_silence", { silentMs });
  };
  timers.after(silenceMs, check);
}
