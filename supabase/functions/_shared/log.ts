/**
 * The functions' structured logs: LogTape under `functions.<name>`, the
 * stable event name as the message. The names are one union, so a misspelt
 * event fails type check instead of becoming a line no alert matches.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";

/** Every event the functions log. */
export type FunctionLogEvent =
  // wa-webhook-core
  | "WA_WEBHOOK_RECEIVED"
  | "WA_WEBHOOK_MISCONFIGURED"
  | "WA_WEBHOOK_SIGNATURE_INVALID"
  | "WA_WEBHOOK_ROUTE_FAILED"
  | "WA_WEBHOOK_RECEIPT_FAILED"
  | "WA_MESSAGES_FORWARD_FAILED"
  // wa-webhook-voice-calls; every line carries `callId`
  | "WA_CALL_CONNECT"
  | "WA_CALL_CONNECT_IGNORED"
  | "WA_CALL_DUPLICATE"
  | "WA_CALL_PRE_ACCEPTED"
  | "WA_CALL_MEDIA_CONNECTED"
  | "WA_GRAPH_ALREADY_APPLIED"
  | "WA_CALL_ACCEPTED"
  | "WA_CALL_REJECTED"
  | "WA_CALL_FAILED"
  | "WA_CALL_TERMINATE"
  | "WA_CALL_STATUS"
  | "WA_CALL_BRIDGE_NOTIFY_FAILED"
  | "WA_BRIDGE_END_FAILED"
  /** The store failed or ran out of time: the call's writes go to the outbox. */
  | "WA_STORE_DEFERRED"
  // call permissions (wa-webhook-core for replies, wa-call-permissions for the API)
  | "WA_CALL_PERMISSION_REPLY"
  | "WA_CALL_PERMISSION_REPLY_DUPLICATE"
  | "WA_USER_MESSAGE_RECORD_FAILED"
  | "WA_CALL_PERMISSION_REQUESTED"
  | "WA_CALL_PERMISSION_REFUSED"
  | "WA_CALL_PERMISSION_GRAPH_FAILED"
  // business-initiated calls (wa-outbound-calls; the answer and statuses in wa-webhook-voice-calls)
  | "WA_OUTBOUND_REFUSED"
  | "WA_OUTBOUND_BRIDGE_FAILED"
  | "WA_OUTBOUND_META_REFUSED"
  | "WA_OUTBOUND_META_UNKNOWN"
  | "WA_OUTBOUND_PLACED"
  | "WA_OUTBOUND_SESSION_UNKNOWN"
  | "WA_OUTBOUND_ANSWER_REFUSED"
  | "WA_OUTBOUND_PERMISSION_COUNT_FAILED"
  // campaigns (wa-campaigns)
  | "WA_CAMPAIGN_CREATED"
  | "WA_CAMPAIGN_CHANGED"
  // either function: a request failed inside and was answered with a bare 500
  | "WA_FUNCTION_FAILED";

/** The two functions. */
export type FunctionName =
  | "wa-webhook-core"
  | "wa-webhook-voice-calls"
  | "wa-call-permissions"
  | "wa-outbound-calls"
  | "wa-campaigns";

/** A logger taking only {@link FunctionLogEvent} names. */
export interface FunctionLogger {
  /** Logs `event` at info level. */
  info(event: FunctionLogEvent, properties?: Record<string, unknown>): void;
  /** Logs `event` at warning level. */
  warn(event: FunctionLogEvent, properties?: Record<string, unknown>): void;
  /** Logs `event` at error level. */
  error(event: FunctionLogEvent, properties?: Record<string, unknown>): void;
}

/** The logger of function `name`; `context` (e.g. `{ callId }`) is on every line. */
export function functionLogger(
  name: FunctionName,
  context?: Record<string, unknown>,
): FunctionLogger {
  const log = getLogger(["functions", name]);
  return context === undefined ? log : log.with(context);
}
