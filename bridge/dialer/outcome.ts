/**
 * A campaign or callback call's outcome, read from its `voice_calls` row once
 * it ended: picked up → `answered`; Meta's `REJECTED` → `rejected`; ended
 * without a pickup (our ring bound, Meta's terminate) → `no_answer`; else `failed`.
 *
 * @module
 */
import type { RecipientOutcome } from "../../lib/campaigns/schema.ts";
import { type CallRecord, TERMINAL_CALL_STATUSES } from "../../store/store.ts";

/** The outcome of an ended call, or undefined while it has not ended. */
export function callOutcome(call: CallRecord): RecipientOutcome | undefined {
  if (!TERMINAL_CALL_STATUSES.includes(call.status)) return undefined;
  if (call.acceptedAt !== null) return "answered";
  if (call.status === "rejected" || call.endReason === "rejected") return "rejected";
  if (call.endReason === "no_answer" || call.endReason === "not_answered") return "no_answer";
  if (call.status === "completed") return "no_answer";
  return "failed";
}
