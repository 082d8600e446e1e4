/**
 * Finds callers to call back: user-initiated calls that ended unanswered
 * (missed, refused for capacity, abandoned while ringing) or outside hours,
 * whose caller holds a valid permission now (Meta's automatic grant after a
 * call with `callback_permission_status` ENABLED, or any other). Each becomes
 * one callback recipient; a caller without permission is left alone (it is
 * looked at again while the call is within `lookbackMs`, as Meta's grant
 * webhook may come after the call ended).
 *
 * @module
 */
import {
  META_PERMISSION_LIMITS,
  permissionDecision,
  type PermissionLimits,
} from "../../lib/whatsapp/call_permission_decision.ts";
import type { Store } from "../../store/store.ts";

/** The store surface the sweep uses. */
export type CallbackSweepStore = Pick<
  Store,
  "listCallbackCandidates" | "enqueueCallback" | "readCallPermission"
>;

/** How far back missed calls are considered: a temporary permission lasts 7 days. */
export const CALLBACK_LOOKBACK_MS = 24 * 3_600_000;

/** Queues callbacks for missed calls whose caller may be called; returns how many were queued. */
export async function sweepCallbacks(
  store: CallbackSweepStore,
  now: number,
  opts: { lookbackMs?: number; limits?: PermissionLimits } = {},
): Promise<number> {
  const since = new Date(now - (opts.lookbackMs ?? CALLBACK_LOOKBACK_MS));
  let queued = 0;
  const seen = new Set<string>();
  for (const c of await store.listCallbackCandidates(since)) {
    const pairKey = `${c.phoneNumberId}:${c.user}`;
    if (seen.has(pairKey)) continue; // one callback per caller, not per missed call
    seen.add(pairKey);
    const state = await store.readCallPermission(
      { phoneNumberId: c.phoneNumberId, user: c.user },
      now,
    );
    const d = permissionDecision(state, "call", now, opts.limits ?? META_PERMISSION_LIMITS);
    // A connected-call limit only delays the callback: the dialer waits for it.
    if (!d.allowed && d.reason !== "call_limit") continue;
    const added = await store.enqueueCallback({
      phoneNumberId: c.phoneNumberId,
      user: c.user,
      originCallId: c.callId,
      reason: c.reason,
    }, new Date(now));
    if (added) queued++;
  }
  return queued;
}
