/**
 * A `terminate`: recorded once, ends the call whatever status or casing Meta
 * sent, and closes the bridge session holding it.
 *
 * With the database down the session is closed by call id (the record that
 * names it cannot be read), and the end is written through the outbox as
 * the same transition, plus the row of a terminate that came before its
 * connect, so the replay reaches the same final status.
 *
 * @module
 */
import type { TerminateItem } from "../../../lib/whatsapp/webhook.ts";
import { describeCallError } from "../../../lib/whatsapp/call_errors.ts";
import { countUnansweredEnd, isUnansweredBusinessCall } from "./business_call.ts";
import { type CallFields, LIVE_CALL_STATUSES } from "../../../store/store.ts";
import {
  type CallEventResult,
  type CallFlowDeps,
  callLog,
  type CallOutcome,
  endBridgeSession,
  eventDedupeKey,
} from "./flow_common.ts";

const TERMINATE_STATUS: Readonly<
  Record<Exclude<TerminateItem["status"], "UNKNOWN">, "completed" | "failed" | "rejected">
> = {
  COMPLETED: "completed",
  FAILED: "failed",
  REJECTED: "rejected",
};

/** Handles one terminate event. */
export async function handleTerminate(
  deps: CallFlowDeps,
  item: TerminateItem,
): Promise<CallEventResult> {
  const { store } = deps;
  const log = callLog(item.callId);
  const result = (outcome: CallOutcome): CallEventResult => ({
    callId: item.callId,
    kind: "terminate",
    outcome,
  });
  const metaErrorCode = item.errors[0]?.code;
  const metaErrorCodes = item.errors.map((e) => e.code);
  // Why Meta ended it, in its words (138019–138023 and the rest of its table).
  const errorReasons = item.errors.map(describeCallError);
  const { inserted } = await store.recordEvent({
    callId: item.callId,
    name: "terminate",
    dedupeKey: eventDedupeKey(item),
    occurredAt: new Date(item.timestamp),
    data: {
      status: item.status,
      metaStatus: item.metaStatus ?? null,
      startTime: item.startTime ?? null,
      endTime: item.endTime ?? null,
      durationSec: item.durationSec ?? null,
      errors: item.errors,
      errorReasons,
    },
  });
  if (!inserted) {
    log.info("WA_CALL_DUPLICATE", { event: "terminate" });
    return result("duplicate");
  }
  // A status Meta never documented still ends the call: failed when it came with errors.
  let status = item.status === "UNKNOWN"
    ? (item.errors.length > 0 ? "failed" : "completed")
    : TERMINATE_STATUS[item.status];
  // Meta ends an unanswered business-initiated call COMPLETED too; it never connected.
  const pickedUp = item.startTime !== undefined || item.durationSec !== undefined;
  const unanswered = !pickedUp && status === "completed" &&
    await isUnansweredBusinessCall(deps, item.callId);
  if (unanswered) status = "failed";
  const durationSeconds = item.durationSec === undefined ? undefined : Math.round(item.durationSec);
  const ended: CallFields = {
    endedAt: new Date(item.endTime ?? item.timestamp),
    durationSeconds,
    metaErrorCode,
    metaStatus: item.metaStatus,
    metaErrorCodes,
  };
  // When the bridge hung up it recorded why; Meta's terminate then only confirms it.
  const live = await store.transitionCall(item.callId, status, {
    ...ended,
    endReason: unanswered ? "not_answered" : `meta_${status}`,
  }, { from: LIVE_CALL_STATUSES, keep: ["endReason"] });
  // Before its connect: the row exists already ended, so the connect is not answered.
  const beforeConnect = {
    callId: item.callId,
    status,
    fromNumber: item.from,
    toNumber: item.to,
    fromUserId: item.fromUserId,
    toUserId: item.toUserId,
    phoneNumberId: item.phoneNumberId,
    ...ended,
    endReason: "terminate_before_connect",
  };
  let previous: string;
  if (live === undefined) {
    previous = "unknown";
    await store.insertCallIfAbsent(beforeConnect);
    await endBridgeSession(deps.bridge, log, { callId: item.callId }, "meta_terminate");
  } else if (live.applied) {
    previous = "live";
    const sessionId = live.call?.bridgeSessionId;
    if (sessionId) await endBridgeSession(deps.bridge, log, { sessionId }, "meta_terminate");
  } else if (live.call === null) {
    previous = "none";
    await store.upsertCall(beforeConnect);
  } else {
    // We ended it first (rejected, failed): keep our verdict, add Meta's figures.
    previous = live.call.status;
    await store.upsertCall({
      callId: item.callId,
      endedAt: item.endTime === undefined ? undefined : new Date(item.endTime),
      durationSeconds,
      metaErrorCode: live.call.metaErrorCode ?? metaErrorCode,
      metaStatus: item.metaStatus,
      metaErrorCodes,
    });
  }
  // A business-initiated call that ended before pickup counts against the permission (P: 4 revoke).
  await countUnansweredEnd(deps, live?.call, pickedUp, item.timestamp, log);
  log.info("WA_CALL_TERMINATE", {
    status: item.status,
    metaStatus: item.metaStatus,
    metaErrorCodes,
    durationSec: item.durationSec,
    metaErrorCode,
    errorReasons,
    previous,
  });
  return result("ended");
}
