/**
 * Events the flow only records and passes on to the bridge session holding the
 * call: statuses and business-initiated `connect` answers.
 *
 * @module
 */
import type { ConnectAnswerItem, StatusItem } from "../../../lib/whatsapp/webhook.ts";
import { maskPhone, maskUserId } from "../../../lib/whatsapp/mask.ts";
import type { FunctionLogger } from "../_shared/log.ts";
import { STATUS_EVENTS } from "./call_events.ts";
import {
  type CallEventResult,
  type CallFlowDeps,
  callLog,
  type CallOutcome,
  eventDedupeKey,
} from "./flow_common.ts";

/** Tells the bridge session holding the call, if any; the webhook is already recorded either way. */
async function passToBridge(
  deps: CallFlowDeps,
  item: ConnectAnswerItem | StatusItem,
  log: FunctionLogger,
): Promise<void> {
  const sessionId = (await deps.store.getCall(item.callId))?.bridgeSessionId;
  if (!sessionId) return;
  try {
    await deps.bridge.notifySession(
      sessionId,
      item.kind === "status"
        ? { kind: "status", status: item.status }
        : { kind: "connect_answer", sdp: item.sdp },
    );
  } catch (error) {
    log.warn("WA_CALL_BRIDGE_NOTIFY_FAILED", { sessionId, error: String(error) });
  }
}

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
  const outcome: CallOutcome = inserted ? "recorded" : "duplicate";
  if (inserted) await passToBridge(deps, item, log);
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
  return { callId: item.callId, kind: item.kind, outcome };
}
