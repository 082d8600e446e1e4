/**
 * Events the flow only records and passes on to the bridge session holding the
 * call: statuses and business-initiated `connect` answers.
 *
 * @module
 */
import type { ConnectAnswerItem, StatusItem } from "../../../lib/whatsapp/webhook.ts";
import { maskPhone, maskUserId } from "../../../lib/whatsapp/mask.ts";
import { handleBusinessEvent } from "./business_call.ts";
import { STATUS_EVENTS } from "./call_events.ts";
import {
  type CallEventResult,
  type CallFlowDeps,
  callLog,
  type CallOutcome,
  eventDedupeKey,
} from "./flow_common.ts";

/** Records a status or connect answer once and passes it to the bridge. */
export async function recordOnly(
  deps: CallFlowDeps,
  item: ConnectAnswerItem | StatusItem,
): Promise<CallEventResult> {
  const log = callLog(item.callId);
  const name = item.kind === "status" ? STATUS_EVENTS[item.status] : item.kind;
  const { inserted } = await deps.store.recordEvent({
    callId: item.callId,
    name,
    dedupeKey: eventDedupeKey(item),
    occurredAt: new Date(item.timestamp),
    data: item.kind === "status"
      ? {
        status: item.status,
        recipientId: item.recipientId ?? null,
        recipientUserId: item.recipientUserId ?? null,
      }
      : { from: item.from, to: item.to, toUserId: item.toUserId, sdp: item.sdp },
  });
  let outcome: CallOutcome = inserted ? "recorded" : "duplicate";
  let reason: string | undefined;
  // Statuses exist only for business-initiated calls, and so does a connect answer.
  if (inserted) ({ outcome, reason } = await handleBusinessEvent(deps, item, log));
  if (!inserted) log.info("WA_CALL_DUPLICATE", { event: name });
  else if (item.kind === "status") log.info("WA_CALL_STATUS", { status: item.status });
  else {
    log.info("WA_CALL_CONNECT", {
      direction: "BUSINESS_INITIATED",
      from: item.from && maskPhone(item.from),
      to: item.to && maskPhone(item.to),
      toUserId: item.toUserId && maskUserId(item.toUserId),
    });
  }
  return { callId: item.callId, kind: item.kind, outcome, ...(reason ? { reason } : {}) };
}
