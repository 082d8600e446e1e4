/**
 * The customer service window: "When a WhatsApp user messages you or calls
 * you, a 24-hour timer called a customer service window starts" (Meta,
 * Service messages:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows).
 * Free-form (interactive) call permission requests are only accepted inside
 * it; outside, Graph answers 131047 and only a template may be sent.
 *
 * This module picks, without I/O, the user messages out of a `messages`
 * change, so the webhook core and the fake Meta read the window alike.
 *
 * @module
 */

import { z } from "zod";

/** The window's length after the user's latest message. */
export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 3_600_000;

/** The latest message a user sent to a business number in one change. */
export interface InboundUserMessage {
  phoneNumberId: string;
  /** wa_id when Meta shows it, else the business-scoped user id. */
  user: string;
  /** Unix ms of the message (`messages[].timestamp`). */
  at: number;
}

const ValueSchema = z.looseObject({
  metadata: z.looseObject({
    phone_number_id: z.string().min(1),
    display_phone_number: z.string().optional(),
  }),
  messages: z.array(z.unknown()).optional(),
});

const MessageSchema = z.looseObject({
  from: z.string().min(1).optional(),
  from_user_id: z.string().min(1).optional(),
  timestamp: z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])
    .transform((s) => Number(s) * 1000),
});

const digits = (s: string) => s.replace(/\D/g, "");

/**
 * The latest user message per user in a `messages` change's `value`.
 * Statuses carry no `messages`; a message from the business's own number
 * (an echo) and malformed messages are skipped, one by one. Never throws.
 */
export function inboundUserMessages(value: unknown): InboundUserMessage[] {
  const parsed = ValueSchema.safeParse(value);
  if (!parsed.success) return [];
  const { phone_number_id: phoneNumberId, display_phone_number: own } = parsed.data.metadata;
  const latest = new Map<string, number>();
  for (const raw of parsed.data.messages ?? []) {
    const m = MessageSchema.safeParse(raw);
    if (!m.success) continue;
    const user = m.data.from ?? m.data.from_user_id;
    if (user === undefined) continue;
    if (own !== undefined && digits(own) !== "" && digits(user) === digits(own)) continue;
    latest.set(user, Math.max(latest.get(user) ?? -Infinity, m.data.timestamp));
  }
  return [...latest].map(([user, at]) => ({ phoneNumberId, user, at }));
}

/** Whether the window is open at `now` after the user's latest message (undefined: never wrote). */
export function customerServiceWindowOpen(
  lastUserMessageAt: number | undefined,
  now: number,
): boolean {
  return lastUserMessageAt !== undefined && now - lastUserMessageAt < CUSTOMER_SERVICE_WINDOW_MS;
}
