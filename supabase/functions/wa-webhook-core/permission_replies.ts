/**
 * `call_permission_reply` messages on the `messages` field (P:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions):
 * picked out of a verified change without I/O, each message on its own, so a
 * malformed reply becomes a receipt while the replies and messages beside it
 * are still handled. The change itself still goes to the chat bot.
 *
 * @module
 */

import {
  CallPermissionReplyMessageSchema,
  type ReplyEffect,
  replyEffect,
} from "../../../lib/whatsapp/call_permissions.ts";
import type { PermissionReplyInput } from "../../../store/call_permissions.ts";
import { z } from "zod";

/** A reply ready for the store. */
export interface PermissionReplyRoute {
  reply: PermissionReplyInput;
  effect: ReplyEffect;
}

/** What a `messages` change holds for call permissions. */
export interface PermissionReplyPlan {
  replies: PermissionReplyRoute[];
  /** Malformed replies, kept as receipts. */
  invalid: { reason: string; payload: unknown }[];
  /** Every message was a call permission reply (nothing else for a chat bot). */
  onlyReplies: boolean;
}

const ValueSchema = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().min(1) }),
  messages: z.array(z.unknown()).optional(),
});

function isReply(m: unknown): boolean {
  const interactive = (m as { interactive?: { type?: unknown } } | null)?.interactive;
  return typeof interactive === "object" && interactive !== null &&
    interactive.type === "call_permission_reply";
}

/** Picks the call permission replies out of one `messages` change's `value`. */
export function planPermissionReplies(value: unknown): PermissionReplyPlan {
  const plan: PermissionReplyPlan = { replies: [], invalid: [], onlyReplies: false };
  const parsed = ValueSchema.safeParse(value);
  if (!parsed.success) return plan;
  const messages = parsed.data.messages ?? [];
  plan.onlyReplies = messages.length > 0 && messages.every(isReply);
  for (const m of messages.filter(isReply)) {
    const r = CallPermissionReplyMessageSchema.safeParse(m);
    if (!r.success) {
      const issue = r.error.issues[0];
      plan.invalid.push({
        reason: `invalid_call_permission_reply: ${issue?.path.join(".")}: ${issue?.message}`,
        payload: m,
      });
      continue;
    }
    const effect = replyEffect(r.data);
    plan.replies.push({
      effect,
      reply: {
        phoneNumberId: parsed.data.metadata.phone_number_id,
        // The number when Meta shows it, else the business-scoped user id.
        user: r.data.from ?? r.data.from_user_id!,
        messageId: r.data.id,
        contextId: effect.contextId,
        status: effect.status,
        expiresAt: effect.expiresAt,
        source: effect.source,
        scenario: effect.scenario,
        at: r.data.timestamp,
      },
    });
  }
  return plan;
}
