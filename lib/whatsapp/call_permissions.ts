/**
 * WhatsApp call permissions: the shapes Meta sends and accepts, and Meta's
 * limits as named constants. A business may call a user only with the user's
 * permission, asked with a call permission request (CPR) and answered in a
 * `call_permission_reply` webhook on the `messages` field.
 *
 * Sources (Meta, "Obtain user call permissions", P):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions
 * and the troubleshooting page for the error codes (T):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting
 *
 * The decision "may we ask / call now" is in `call_permission_decision.ts`.
 *
 * @module
 */

import { z } from "zod";

export * from "./call_permission_decision.ts";

/** Meta's interactive body text limit (general interactive rule; no CPR-specific limit is documented). */
export const MAX_REQUEST_BODY_TEXT = 1024;

/** How a user is named: the phone number (`wa_id`) or the business-scoped user id (BSUID). */
export type UserKeyKind = "wa_id" | "user_id";

/** `wa_id` for digits-only keys, else a BSUID such as `BR.1502576394655843`. */
export function userKeyKind(user: string): UserKeyKind {
  return /^\d{6,15}$/.test(user) ? "wa_id" : "user_id";
}

/** A user key as the API and the store accept it (a number or a BSUID). */
export const UserKeySchema = z.string().regex(
  /^(?:\d{6,15}|[A-Z]{2}\.[A-Za-z0-9._-]{1,120})$/,
  "expected a WhatsApp number (digits) or a business-scoped user id (e.g. BR.123)",
);

/**
 * `expiration_timestamp`: documented as integer seconds, quoted as a string
 * in Meta's samples (P); implementers also report ISO-8601 (dograh
 * `parse_whatsapp_expiration`), so all three forms parse, to Unix ms.
 */
export const ExpirationSchema = z.union([
  z.number().int().nonnegative().transform((s) => s * 1000),
  z.string().regex(/^\d{1,12}$/).transform((s) => Number(s) * 1000),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

const UnixSeconds = z
  .union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()])
  .transform((s) => Number(s) * 1000);

/** `interactive.call_permission_reply` (P, "Webhook sample scenarios"). */
export const CallPermissionReplyBodySchema = z.looseObject({
  response: z.string().toLowerCase().pipe(z.enum(["accept", "reject"])),
  /** Absent on rejects; true for "Allow calls", false for "Temporarily allow calls". */
  is_permanent: z.boolean().optional(),
  /** Present on temporary accepts only. */
  expiration_timestamp: ExpirationSchema.optional(),
  /** `user_action`, or `automatic` (a user call granted it, or 4 unanswered calls revoked it). */
  response_source: z.string().toLowerCase().pipe(z.enum(["user_action", "automatic"])),
});

/** One `messages[]` item carrying a `call_permission_reply` (field `messages`). */
export const CallPermissionReplyMessageSchema = z.looseObject({
  /** The user's number; may be absent for a username user named by BSUID only. */
  from: z.string().min(1).optional(),
  from_user_id: z.string().min(1).optional(),
  id: z.string().min(1),
  timestamp: UnixSeconds,
  /** wamid of our request, wacid of the user's call, or absent (profile grant, auto-revoke). */
  context: z.looseObject({ from: z.string().optional(), id: z.string().min(1) }).optional(),
  type: z.literal("interactive"),
  interactive: z.looseObject({
    type: z.literal("call_permission_reply"),
    call_permission_reply: CallPermissionReplyBodySchema,
  }),
}).refine((m) => m.from !== undefined || m.from_user_id !== undefined, {
  message: "from or from_user_id is required",
});

/** Parsed reply message. */
export type CallPermissionReplyMessage = z.infer<typeof CallPermissionReplyMessageSchema>;

/** The six scenarios Meta documents (P). */
export type ReplyScenario =
  | "temporary_accept" // "Temporarily allow calls" on our request
  | "permanent_accept" // "Allow calls" on our request
  | "profile_grant" // permanent grant from the business profile, no context
  | "reject" // declined our request
  | "automatic_grant" // the user called us (callback permission), context = wacid
  | "automatic_revoke"; // 4 consecutive unanswered business calls

/** Stored permission status. `revoked` = Meta took it back; `declined` = the user said no. */
export type PermissionStatus = "no_permission" | "temporary" | "permanent" | "revoked" | "declined";

/** Temporary permissions last 7 days from approval (P). */
export const TEMPORARY_PERMISSION_MS = 7 * 24 * 3_600_000;

/** What a reply does to the pair's permission. */
export interface ReplyEffect {
  scenario: ReplyScenario;
  status: PermissionStatus;
  /** Unix ms; temporary only. */
  expiresAt?: number;
  source: "user_action" | "automatic";
  /** wamid of our request or wacid of the user's call. */
  contextId?: string;
}

/** Classifies a parsed reply into Meta's scenarios and the permission it leaves. */
export function replyEffect(m: CallPermissionReplyMessage): ReplyEffect {
  const r = m.interactive.call_permission_reply;
  const base = {
    source: r.response_source,
    ...(m.context === undefined ? {} : { contextId: m.context.id }),
  };
  if (r.response === "reject") {
    return r.response_source === "automatic"
      ? { ...base, scenario: "automatic_revoke", status: "revoked" }
      : { ...base, scenario: "reject", status: "declined" };
  }
  if (r.is_permanent === true) {
    return {
      ...base,
      scenario: m.context === undefined ? "profile_grant" : "permanent_accept",
      status: "permanent",
    };
  }
  // Meta's sample spans 16 days, not 7: trust the field; compute only when it is missing.
  const expiresAt = r.expiration_timestamp ?? m.timestamp + TEMPORARY_PERMISSION_MS;
  return {
    ...base,
    scenario: r.response_source === "automatic" ? "automatic_grant" : "temporary_accept",
    status: "temporary",
    expiresAt,
  };
}

/** Who a request goes to: `to` (a number) or `recipient` (a BSUID), never both. */
const addressingFields = {
  messaging_product: z.literal("whatsapp"),
  recipient_type: z.literal("individual").optional(),
  to: z.string().min(1).optional(),
  /** BSUID addressing (second-hand sources: kapso, Gupshup). */
  recipient: z.string().min(1).optional(),
};

const addressedOnce = [
  (b: { to?: string | undefined; recipient?: string | undefined }) =>
    (b.to === undefined) !== (b.recipient === undefined),
  { message: "exactly one of to or recipient" },
] as const;

/**
 * Free-form request (P, "Send a call permission request message"): inside
 * the customer service window only; the body is optional, header and footer
 * are not supported, so `interactive` is strict.
 */
export const InteractivePermissionRequestSchema = z.strictObject({
  ...addressingFields,
  type: z.literal("interactive"),
  interactive: z.strictObject({
    type: z.literal("call_permission_request"),
    action: z.strictObject({ name: z.literal("call_permission_request") }),
    body: z.strictObject({ text: z.string().min(1).max(MAX_REQUEST_BODY_TEXT) }).optional(),
  }),
}).refine(...addressedOnce);

const TemplateParameterSchema = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  parameter_name: z.string().optional(),
});

/**
 * Template request (P, TU): an ordinary template send whose template has the
 * `call_permission_request` component; only body (and header) parameters are
 * passed, never a CPR parameter.
 */
export const TemplatePermissionRequestSchema = z.looseObject({
  ...addressingFields,
  type: z.literal("template"),
  template: z.looseObject({
    name: z.string().min(1).max(512),
    language: z.looseObject({ code: z.string().min(2) }),
    components: z.array(z.looseObject({
      type: z.enum(["body", "header"]),
      parameters: z.array(TemplateParameterSchema),
    })).optional(),
  }),
}).refine(...addressedOnce);

/** Either request body. */
export type PermissionRequestBody =
  | z.input<typeof InteractivePermissionRequestSchema>
  | z.input<typeof TemplatePermissionRequestSchema>;

/** What to send: free-form text, or a CPR template with its parameters. */
export type PermissionRequestContent =
  | { kind: "interactive"; bodyText?: string | undefined }
  | {
    kind: "template";
    name: string;
    language: string;
    /** Body parameters in order (positional) or by name (`parameter_format: named`). */
    bodyParameters?: (string | { name: string; text: string })[] | undefined;
  };

/** Addresses a number with `to`, a BSUID with `recipient`. */
function addressee(user: string): { to: string } | { recipient: string } {
  return userKeyKind(user) === "wa_id" ? { to: user } : { recipient: user };
}

/** The `/messages` body of a permission request to `user`. */
export function permissionRequestBody(
  user: string,
  content: PermissionRequestContent,
): PermissionRequestBody {
  const common = {
    messaging_product: "whatsapp" as const,
    recipient_type: "individual" as const,
    ...addressee(user),
  };
  if (content.kind === "interactive") {
    return {
      ...common,
      type: "interactive",
      interactive: {
        type: "call_permission_request",
        action: { name: "call_permission_request" },
        ...(content.bodyText === undefined ? {} : { body: { text: content.bodyText } }),
      },
    };
  }
  const params = (content.bodyParameters ?? []).map((p) =>
    typeof p === "string"
      ? { type: "text" as const, text: p }
      : { type: "text" as const, text: p.text, parameter_name: p.name }
  );
  return {
    ...common,
    type: "template",
    template: {
      name: content.name,
      language: { code: content.language },
      ...(params.length === 0 ? {} : { components: [{ type: "body", parameters: params }] }),
    },
  };
}

/** Meta's send response (P). */
export const SendMessageAnswerSchema = z.looseObject({
  messaging_product: z.literal("whatsapp").optional(),
  contacts: z.array(z.looseObject({ input: z.string().optional(), wa_id: z.string().optional() }))
    .optional(),
  messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1),
});

/** One `limits[]` item of the GET answer; `limit_expiration_time` only once the limit is reached. */
export const PermissionLimitSchema = z.looseObject({
  time_period: z.string(),
  max_allowed: z.number().int().nonnegative(),
  current_usage: z.number().int().nonnegative(),
  limit_expiration_time: z.number().int().nonnegative().optional(),
});

/** `GET /{phone-number-id}/call_permissions?user_wa_id=` (P, "Get current call permission state"). */
export const CallPermissionsAnswerSchema = z.looseObject({
  messaging_product: z.literal("whatsapp").optional(),
  permission: z.looseObject({
    status: z.enum(["no_permission", "temporary", "permanent"]),
    /** Unix seconds; absent when permanent. */
    expiration_time: z.number().int().nonnegative().optional(),
  }),
  actions: z.array(z.looseObject({
    action_name: z.string(),
    can_perform_action: z.boolean(),
    limits: z.array(PermissionLimitSchema).optional(),
  })).optional(),
});

/** Parsed GET answer. */
export type CallPermissionsAnswer = z.infer<typeof CallPermissionsAnswerSchema>;

/** What the product keeps from a GET answer. */
export interface GraphPermissionView {
  status: "no_permission" | "temporary" | "permanent";
  /** Unix ms. */
  expiresAt?: number;
  canRequest?: boolean;
  canCall?: boolean;
  /** `start_call` PT24H `max_allowed`: the connected-call limit Meta applies today. */
  connectedCallLimit?: number;
  /** Unix ms when `start_call` is possible again, when its limit is reached. */
  callLimitResetAt?: number;
}

/** Reduces a GET answer to what the decision needs. */
export function graphPermissionView(a: CallPermissionsAnswer): GraphPermissionView {
  const find = (name: string) => a.actions?.find((x) => x.action_name === name);
  const call = find("start_call");
  const request = find("send_call_permission_request");
  const day = call?.limits?.find((l) => l.time_period === "PT24H");
  const view: GraphPermissionView = { status: a.permission.status };
  if (a.permission.expiration_time !== undefined) {
    view.expiresAt = a.permission.expiration_time * 1000;
  }
  if (request !== undefined) view.canRequest = request.can_perform_action;
  if (call !== undefined) view.canCall = call.can_perform_action;
  if (day !== undefined) view.connectedCallLimit = day.max_allowed;
  if (day?.limit_expiration_time !== undefined) {
    view.callLimitResetAt = day.limit_expiration_time * 1000;
  }
  return view;
}
