/**
 * Where each part of a verified webhook goes, decided without I/O: every
 * `changes[]` item is routed on its own, so one malformed or unknown change
 * does not cost the calls batched beside it.
 *
 * @module
 */

import { z } from "zod";
import { extractCallEvents, parseWebhook } from "../../../lib/whatsapp/webhook.ts";
import {
  type InboundUserMessage,
  inboundUserMessages,
} from "../../../lib/whatsapp/customer_service_window.ts";
import { parseJson } from "../_shared/json_body.ts";
import { type PermissionReplyRoute, planPermissionReplies } from "./permission_replies.ts";

/** A webhook envelope holding one change, kept exactly as Meta sent it (no zod transforms). */
export interface SingleChangeEnvelope {
  object: string;
  entry: [{ id: string; changes: [RawChange] }];
}

/** A `changes[]` item as received. */
export type RawChange = z.infer<typeof RawChangeSchema>;

/** A change for the voice-calls function. */
export interface CallsRoute {
  /** Call ids it carries, for logs. */
  callIds: string[];
  body: SingleChangeEnvelope;
}

/** Something to keep in `wa_webhook_receipts` because no handler takes it. */
export interface ReceiptRoute {
  reason: string;
  field?: string;
  /** The JSON concerned; absent when the body was not JSON. */
  payload?: unknown;
  /** The body text, when it was not JSON. */
  raw?: string;
}

/** What to do with one webhook body. */
export interface RoutePlan {
  calls: CallsRoute[];
  /** `messages` changes: the whole signed body goes to the chat bot when one exists. */
  messages: RawChange[];
  receipts: ReceiptRoute[];
  /** `call_permission_reply` messages, stored by the core itself. */
  permissionReplies: PermissionReplyRoute[];
  /** `messages` changes holding nothing but permission replies: no chat bot needed. */
  repliesOnly: RawChange[];
  /** Each user's latest message per change, and user-initiated calls: they open the customer service window. */
  userMessages: InboundUserMessage[];
}

const RawChangeSchema = z.looseObject({ field: z.string(), value: z.unknown() });

const RawEnvelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(z.looseObject({ id: z.string(), changes: z.array(RawChangeSchema) })),
});

/** Routes a signed webhook body (already verified); never throws. */
export function planWebhook(text: string): RoutePlan {
  const plan: RoutePlan = {
    calls: [],
    messages: [],
    receipts: [],
    permissionReplies: [],
    repliesOnly: [],
    userMessages: [],
  };
  const envelope = parseJson(text, RawEnvelopeSchema);
  if (!envelope.ok) {
    plan.receipts.push(
      envelope.reason === "not_json"
        ? { reason: "invalid_json", raw: text }
        : { reason: `invalid_envelope: ${envelope.issues[0]}`, payload: envelope.json },
    );
    return plan;
  }
  for (const entry of envelope.data.entry) {
    for (const change of entry.changes) {
      if (change.field === "messages") {
        plan.messages.push(change);
        routePermissionReplies(plan, change);
        plan.userMessages.push(...inboundUserMessages(change.value));
      } else if (change.field === "calls") {
        routeCalls(plan, envelope.data.object, entry.id, change);
      } else {
        plan.receipts.push({ reason: "unhandled_field", field: change.field, payload: change });
      }
    }
  }
  return plan;
}

function routePermissionReplies(plan: RoutePlan, change: RawChange): void {
  const replies = planPermissionReplies(change.value);
  plan.permissionReplies.push(...replies.replies);
  plan.receipts.push(...replies.invalid.map((r) => ({ ...r, field: "messages" })));
  if (replies.onlyReplies) plan.repliesOnly.push(change);
}

function routeCalls(plan: RoutePlan, object: string, entryId: string, change: RawChange): void {
  const body: SingleChangeEnvelope = { object, entry: [{ id: entryId, changes: [change] }] };
  const parsed = parseWebhook(body);
  if (!parsed.ok) {
    plan.receipts.push({
      reason: `invalid_calls_change: ${parsed.error}`,
      field: "calls",
      payload: change,
    });
    return;
  }
  const events = extractCallEvents(parsed.value);
  // "When a WhatsApp user messages you or calls you" the window starts (Meta, Service messages).
  for (const e of events) {
    const user = e.kind === "connect_offer" ? e.from ?? e.fromUserId : undefined;
    if (user !== undefined) {
      plan.userMessages.push({ phoneNumberId: e.phoneNumberId, user, at: e.timestamp });
    }
  }
  const callIds = [...new Set(events.map((e) => e.callId))];
  if (callIds.length === 0) {
    plan.receipts.push({ reason: "no_known_call_events", field: "calls", payload: change });
    return;
  }
  plan.calls.push({ callIds, body });
}
