/**
 * Zod schemas for WhatsApp Cloud API webhooks (field `calls`, and the call
 * permission replies that arrive on field `messages`). `webhook.ts` parses
 * with them and flattens the call events.
 *
 * Every object is loose: Meta adds fields without notice (BSUIDs, payloads,
 * recording), so unknown keys pass through and unknown `field`/`event` values
 * are kept opaque instead of failing the whole envelope.
 *
 * @module
 */

import { z } from "zod";

/** A string rejected when it is one of `known`, so open unions never shadow a known branch. */
function otherThan(known: readonly string[]) {
  return z.string().refine((v) => !known.includes(v), {
    abort: true,
    message: `expected a value other than ${known.join(" | ")}`,
  });
}

/** An enum matched case-insensitively: Meta's casing of statuses varies between its pages. */
function upperEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.string().toUpperCase().pipe(z.enum(values));
}

/** Unix seconds as Meta sends them (a digit string), tolerated as a number; parsed to a number. */
export const UnixSecondsSchema = z
  .union([z.string().regex(/^\d{1,12}$/, "expected unix seconds"), z.number().int().nonnegative()])
  .transform(Number);

/** `value.metadata`: which business number the webhook is about. */
export const MetadataSchema = z.looseObject({
  display_phone_number: z.string(),
  phone_number_id: z.string().min(1),
});

/**
 * `value.contacts[]`: the WhatsApp user's profile. Since the 2026 username
 * rollout `wa_id` "may be omitted if the user has adopted a username", and
 * `user_id` (the business-scoped user id, BSUID), `parent_user_id` and
 * `profile.username` appear. Meta's note names a contact-level `username`
 * while its samples put it in `profile`: both are read.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls
 */
export const ContactSchema = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  parent_user_id: z.string().optional(),
  username: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional(), username: z.string().optional() })
    .optional(),
});

/**
 * An error item of a failed call's terminate. Meta documents `{code, message,
 * href, error_data: {details}}`; a code sent as a digit string is accepted,
 * so a terminate is never lost over how its code is spelt.
 */
export const WebhookErrorSchema = z.looseObject({
  code: z.union([z.number().int(), z.string().regex(/^\d{1,9}$/).transform(Number)]),
  title: z.string().optional(),
  message: z.string().optional(),
  href: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

/**
 * Fields every `calls[]` event may carry besides its own. Either party's
 * number "may be omitted if the user has adopted a username"; the user is
 * then known by `from_user_id` (user-initiated) or `to_user_id`
 * (business-initiated), and possibly by neither: events are keyed on `id`.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/reference
 */
const callEventBase = {
  id: z.string().min(1),
  from: z.string().optional(),
  to: z.string().optional(),
  timestamp: UnixSecondsSchema,
  direction: z.string().toUpperCase().optional(),
  biz_opaque_callback_data: z.string().optional(),
  deeplink_payload: z.string().optional(),
  cta_payload: z.string().optional(),
  from_user_id: z.string().optional(),
  from_parent_user_id: z.string().optional(),
  to_user_id: z.string().optional(),
  to_parent_user_id: z.string().optional(),
  // Meta documents `value.errors[]`; errors on the call object are read as well.
  errors: z.array(WebhookErrorSchema).optional(),
};

/** `session` of a connect event: the SDP offer (user-initiated) or answer (business-initiated). */
export const SessionSchema = z.looseObject({
  sdp_type: z.string().toLowerCase().pipe(z.enum(["offer", "answer"])),
  sdp: z.string().min(1),
});

/** `calls[]` event `connect`; the legacy `connection.webrtc.sdp` is ignored in favour of `session`. */
export const ConnectEventSchema = z.looseObject({
  ...callEventBase,
  event: z.literal("connect"),
  session: SessionSchema,
});

/**
 * Terminate statuses Meta documents: `[FAILED | COMPLETED]` in the reference,
 * `["Failed", "Completed"]` in the user-initiated page, so matched
 * case-insensitively; `REJECTED` as pipecat has seen it (unconfirmed by
 * Meta). Any other value (or none) is `UNKNOWN`: the call has still ended.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls
 */
export const TERMINATE_STATUSES = ["COMPLETED", "FAILED", "REJECTED"] as const;

/** A terminate status as the flow sees it. */
export type TerminateStatus = typeof TERMINATE_STATUSES[number] | "UNKNOWN";

/** Normalises Meta's terminate `status` (any casing, any value, or absent). */
export function terminateStatus(raw: string | undefined): TerminateStatus {
  const upper = raw?.trim().toUpperCase();
  return TERMINATE_STATUSES.find((s) => s === upper) ?? "UNKNOWN";
}

/**
 * `calls[]` event `terminate`; times are present only when the call was picked
 * up. `status` is kept raw: a value we do not know must not lose the
 * terminate, or the call's session would outlive the call.
 */
export const TerminateEventSchema = z.looseObject({
  ...callEventBase,
  event: z.literal("terminate"),
  status: z.string().optional(),
  start_time: UnixSecondsSchema.optional(),
  end_time: UnixSecondsSchema.optional(),
  duration: z.number().nonnegative().optional(),
});

const KNOWN_CALL_EVENTS = ["connect", "terminate"] as const;

/** A `calls[]` event of a kind this module does not know yet; kept, never interpreted. */
export const UnknownCallEventSchema = z.looseObject({
  id: z.string(),
  event: otherThan(KNOWN_CALL_EVENTS),
});

/** Any `calls[]` event. */
export const CallEventSchema = z.union([
  ConnectEventSchema,
  TerminateEventSchema,
  UnknownCallEventSchema,
]);

/** `statuses[]` on field `calls` (business-initiated calls only). */
export const CallStatusSchema = z.looseObject({
  id: z.string().min(1),
  timestamp: UnixSecondsSchema,
  type: z.literal("call"),
  status: upperEnum(["RINGING", "ACCEPTED", "REJECTED"]),
  /** The callee's number; may be omitted once the user has a username. */
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  recipient_parent_user_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
});

/** `value` of a `calls` change. */
export const CallsValueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: MetadataSchema,
  contacts: z.array(ContactSchema).optional(),
  calls: z.array(CallEventSchema).optional(),
  statuses: z.array(CallStatusSchema).optional(),
  errors: z.array(WebhookErrorSchema).optional(),
});

/** A message whose `interactive` is a `call_permission_reply`. */
export const CallPermissionReplyMessageSchema = z.looseObject({
  from: z.string(),
  id: z.string(),
  timestamp: UnixSecondsSchema,
  context: z.looseObject({ from: z.string().optional(), id: z.string() }).optional(),
  interactive: z.looseObject({
    type: z.literal("call_permission_reply"),
    call_permission_reply: z.looseObject({
      response: z.string().toLowerCase().pipe(z.enum(["accept", "reject"])),
      is_permanent: z.boolean().optional(),
      expiration_timestamp: UnixSecondsSchema.optional(),
      response_source: z.string().optional(),
    }),
  }),
});

/** True when `m` is a message whose `interactive.type` is `call_permission_reply`. */
export function isPermissionReply(m: unknown): boolean {
  if (typeof m !== "object" || m === null) return false;
  const interactive = (m as { interactive?: unknown }).interactive;
  return typeof interactive === "object" && interactive !== null &&
    (interactive as { type?: unknown }).type === "call_permission_reply";
}

/** Any other message (text, media, …): passed through untouched. */
export const OpaqueMessageSchema = z.looseObject({}).refine((m) => !isPermissionReply(m), {
  abort: true,
  message: "malformed call_permission_reply",
});

/** `value` of a `messages` change; only call permission replies are typed. */
export const MessagesValueSchema = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: MetadataSchema,
  contacts: z.array(ContactSchema).optional(),
  messages: z.array(z.union([CallPermissionReplyMessageSchema, OpaqueMessageSchema])).optional(),
});

/** A change on field `calls`. */
export const CallsChangeSchema = z.looseObject({
  field: z.literal("calls"),
  value: CallsValueSchema,
});

/** A change on field `messages`. */
export const MessagesChangeSchema = z.looseObject({
  field: z.literal("messages"),
  value: MessagesValueSchema,
});

/** A change on any other field (account updates, templates, …): value left opaque. */
export const OtherChangeSchema = z.looseObject({
  field: otherThan(["calls", "messages"]),
  value: z.unknown(),
});

/** `entry[].changes[]`. */
export const ChangeSchema = z.union([CallsChangeSchema, MessagesChangeSchema, OtherChangeSchema]);

/** The webhook envelope Meta POSTs. */
export const WebhookEnvelopeSchema = z.looseObject({
  object: z.string(),
  entry: z.array(z.looseObject({ id: z.string(), changes: z.array(ChangeSchema) })),
});

/** Parsed webhook envelope. */
export type WebhookEnvelope = z.infer<typeof WebhookEnvelopeSchema>;
/** Parsed `calls` change value. */
export type CallsValue = z.infer<typeof CallsValueSchema>;
/** Parsed `messages` change value. */
export type MessagesValue = z.infer<typeof MessagesValueSchema>;
/** Parsed `connect` event. */
export type ConnectEvent = z.infer<typeof ConnectEventSchema>;
/** Parsed `terminate` event. */
export type TerminateEvent = z.infer<typeof TerminateEventSchema>;
/** Any parsed `calls[]` event. */
export type CallEvent = z.infer<typeof CallEventSchema>;
/** Parsed call status item. */
export type CallStatus = z.infer<typeof CallStatusSchema>;
/** Parsed `value.errors[]` item. */
export type WebhookError = z.infer<typeof WebhookErrorSchema>;
/** Parsed contact. */
export type Contact = z.infer<typeof ContactSchema>;
/** Parsed call permission reply message. */
export type CallPermissionReplyMessage = z.infer<typeof CallPermissionReplyMessageSchema>;
