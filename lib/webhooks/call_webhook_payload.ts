/**
 * The body of the end-of-call webhook, in the Standard Webhooks envelope
 * `{ type, timestamp, data }` (spec, "Payload structure"):
 *
 * - `call.ended`, sent as soon as the call is over: the call, its transcript,
 *   its cost and latency figures and a time-limited link to its recording;
 *   `analysis` is `null`.
 * - `call.analyzed`, once the post-call analysis is stored: the same, with
 *   `analysis` (summary, outcome, extracted fields, or why there is none).
 *
 * `cost`, `latency` and `analysis` are each part's stored result as JSON, or
 * `null` when that part is off, failed or has nothing for the call. The
 * schema is what a receiver may rely on; see the README's payload section.
 *
 * @module
 */
import { z } from "zod";

/** Every event type the call webhook sends. */
export const CALL_WEBHOOK_TYPES = ["call.ended", "call.analyzed"] as const;

/** An event type of the call webhook. */
export type CallWebhookType = typeof CALL_WEBHOOK_TYPES[number];

const time = z.iso.datetime({ offset: true });

/** The call as the webhook shows it (the call store's record, renamed for receivers). */
export const webhookCallSchema = z.object({
  /** Meta's call id (`wacid.…`). */
  id: z.string(),
  direction: z.enum(["user_initiated", "business_initiated"]).nullable(),
  /** Meta's `from`/`to` numbers, in full: the receiver is the business's own system. */
  from: z.string().nullable(),
  to: z.string().nullable(),
  fromUserId: z.string().nullable(),
  toUserId: z.string().nullable(),
  phoneNumberId: z.string().nullable(),
  username: z.string().nullable(),
  profileName: z.string().nullable(),
  status: z.string(),
  endReason: z.string().nullable(),
  offeredAt: time.nullable(),
  acceptedAt: time.nullable(),
  endedAt: time.nullable(),
  durationSeconds: z.number().int().nullable(),
  ctaPayload: z.string().nullable(),
  deeplinkPayload: z.string().nullable(),
  bizOpaqueCallbackData: z.string().nullable(),
  /**
   * Placed from the console's "Talk to your agent" page by a signed-in user,
   * not by a WhatsApp user (false in messages written before the field existed).
   */
  testCall: z.boolean().default(false),
});

/** One transcript line in the webhook. */
export const webhookTranscriptLineSchema = z.object({
  speaker: z.enum(["caller", "agent"]),
  text: z.string(),
  startedAt: time,
  endedAt: time,
  /** The caller barged in and the agent's line was cut here. */
  interrupted: z.boolean(),
});

/** `data` of both event types. */
export const callWebhookDataSchema = z.object({
  call: webhookCallSchema,
  transcript: z.array(webhookTranscriptLineSchema),
  cost: z.json().nullable(),
  latency: z.json().nullable(),
  /** A link to the stereo recording (caller left, agent right) that expires; `null` without one. */
  recordingUrl: z.url().nullable(),
  analysis: z.json().nullable(),
});

/** The whole body of a call webhook. */
export const callWebhookPayloadSchema = z.object({
  type: z.enum(CALL_WEBHOOK_TYPES),
  /** When the event happened (not when this attempt was made: that is `webhook-timestamp`). */
  timestamp: time,
  data: callWebhookDataSchema,
});

/** `data` of a call webhook. */
export type CallWebhookData = z.infer<typeof callWebhookDataSchema>;

/** A call webhook's body. */
export type CallWebhookPayload = z.infer<typeof callWebhookPayloadSchema>;
