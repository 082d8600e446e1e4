/**
 * The names the voice-calls function records per call
 * (`voice_call_events.name`). One union, so a misspelt event fails type check
 * rather than becoming a row no query finds.
 *
 * @module
 */

import type { StatusItem } from "../../../lib/whatsapp/webhook.ts";

/** Events the function records. */
export type CallFlowEvent =
  // Meta's webhooks, each recorded once (see `eventDedupeKey`).
  | "connect"
  | "connect_answer"
  | "terminate"
  | `status_${Lowercase<StatusItem["status"]>}`
  // What answering a connect came to.
  | "connect_after_terminate"
  | "connect_stale"
  | "accepted"
  | "accept_skipped"
  | "rejected"
  | "failed";

/** The event recorded for each status of a business-initiated call. */
export const STATUS_EVENTS = {
  RINGING: "status_ringing",
  ACCEPTED: "status_accepted",
  REJECTED: "status_rejected",
} as const satisfies Record<StatusItem["status"], CallFlowEvent>;
