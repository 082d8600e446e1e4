/**
 * Meta's webhooks about a business-initiated call (issue 17), after they are
 * recorded once (`record_only.ts`): the `connect` carrying Meta's SDP answer
 * and the statuses `RINGING`, `ACCEPTED`, `REJECTED`
 * (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls).
 *
 * - The session is found by the call's record. Meta may send the `connect`
 *   before `wa-outbound-calls` has stored the call id Graph returned (the
 *   race implementers report), so an unknown call is waited for, bounded.
 * - `ACCEPTED` is the pickup: the call is `accepted` (its `accepted_at`
 *   starts Meta's billed duration) and counted as connected for the
 *   permission's limits; `REJECTED` ends it `rejected` and counts as
 *   unanswered (Meta revokes after 4 in a row). Both before the bridge hears.
 *
 * @module
 */
import type { ConnectAnswerItem, StatusItem } from "../../../lib/whatsapp/webhook.ts";
import { BridgeError } from "../../../lib/bridge_api/client.ts";
import { type CallRecord, LIVE_CALL_STATUSES } from "../../../store/store.ts";
import type { FunctionLogger } from "../_shared/log.ts";
import type { CallFlowDeps, CallOutcome } from "./flow_common.ts";

const POLL_MS = 50;

/** The call's record once it names its bridge session, or the last read after `sessionWaitMs`. */
async function awaitSession(deps: CallFlowDeps, callId: string): Promise<CallRecord | undefined> {
  const until = Date.now() + (deps.sessionWaitMs ?? 5_000);
  for (;;) {
    const call = (await deps.store.getCall(callId)) ?? undefined;
    if (call?.bridgeSessionId || Date.now() >= until) return call;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Counts the call for the user's permission (once per call and outcome); never fails the webhook. */
async function countForPermission(
  deps: CallFlowDeps,
  call: CallRecord,
  outcome: "connected" | "unanswered",
  at: number,
  log: FunctionLogger,
): Promise<void> {
  if (!deps.permissions || !call.phoneNumberId || !call.toNumber) return;
  try {
    await deps.permissions.recordPermissionCall({
      phoneNumberId: call.phoneNumberId,
      user: call.toNumber,
      callId: call.callId,
      outcome,
      at,
    });
  } catch (error) {
    log.warn("WA_OUTBOUND_PERMISSION_COUNT_FAILED", { error: String(error) });
  }
}

/**
 * Applies one recorded business-initiated event: the call's status, the
 * permission's books, then the bridge session. Returns the outcome.
 */
export async function handleBusinessEvent(
  deps: CallFlowDeps,
  item: ConnectAnswerItem | StatusItem,
  log: FunctionLogger,
): Promise<{ outcome: CallOutcome; reason?: string }> {
  const call = await awaitSession(deps, item.callId);
  if (!call?.bridgeSessionId) {
    log.warn("WA_OUTBOUND_SESSION_UNKNOWN", { event: item.kind, waitedMs: deps.sessionWaitMs });
    return { outcome: "recorded" };
  }
  if (item.kind === "status" && item.status === "ACCEPTED") {
    await deps.store.transitionCall(call.callId, "accepted", {
      acceptedAt: new Date(item.timestamp),
    }, { from: ["offered", "ringing"] });
    await countForPermission(deps, call, "connected", item.timestamp, log);
  } else if (item.kind === "status" && item.status === "REJECTED") {
    // Meta's terminate may be handled first and could only say "ended unanswered":
    // the user's decline is the better verdict for a call never picked up.
    await deps.store.transitionCall(call.callId, "rejected", {
      endReason: "rejected",
      endedAt: new Date(item.timestamp),
    }, {
      from: call.acceptedAt === null
        ? [...LIVE_CALL_STATUSES, "failed", "completed"]
        : LIVE_CALL_STATUSES,
    });
    await countForPermission(deps, call, "unanswered", item.timestamp, log);
  }
  try {
    await deps.bridge.notifySession(
      call.bridgeSessionId,
      item.kind === "status"
        ? { kind: "status", status: item.status }
        : { kind: "connect_answer", sdp: item.sdp },
    );
  } catch (error) {
    if (error instanceof BridgeError && error.failure === "offer_rejected") {
      // The bridge refused Meta's answer and hung up at Meta: the call cannot carry audio.
      log.warn("WA_OUTBOUND_ANSWER_REFUSED", { error: error.message });
      return { outcome: "failed", reason: "meta_answer_invalid" };
    }
    log.warn("WA_CALL_BRIDGE_NOTIFY_FAILED", {
      sessionId: call.bridgeSessionId,
      error: String(error),
    });
  }
  return { outcome: "recorded" };
}

/** True for a business-initiated call never accepted (its terminate then carries no times). */
export async function isUnansweredBusinessCall(
  deps: CallFlowDeps,
  callId: string,
): Promise<boolean> {
  const call = await deps.store.getCall(callId);
  return call?.direction === "business_initiated" && call.acceptedAt === null;
}

/** A business-initiated call Meta ended before anyone picked up: unanswered for the permission. */
export async function countUnansweredEnd(
  deps: CallFlowDeps,
  call: CallRecord | null | undefined,
  pickedUp: boolean,
  at: number,
  log: FunctionLogger,
): Promise<void> {
  if (!call || call.direction !== "business_initiated" || pickedUp || call.acceptedAt) return;
  await countForPermission(deps, call, "unanswered", at, log);
}
