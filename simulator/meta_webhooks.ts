/**
 * Builders for WhatsApp calling webhooks in Meta's exact shapes, signed like
 * Meta signs them, and a sender that can duplicate and reorder deliveries (Meta
 * guarantees neither order nor exactly-once).
 *
 * @module
 */

import { signMetaBody } from "../lib/whatsapp/signature.ts";
import { CALL_ERRORS, CALL_ERRORS_HREF, type CallErrorCode } from "../lib/whatsapp/call_errors.ts";
import { mulberry32 } from "./prng.ts";

/** The business side of a webhook: WABA and phone number. */
export interface BusinessNumber {
  wabaId: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
}

/** The business number used by the fixtures. */
export const DEFAULT_BUSINESS: BusinessNumber = {
  wabaId: "102290129340398",
  phoneNumberId: "106540352242922",
  displayPhoneNumber: "16315553601",
};

/** A JSON object as Meta sends it. */
export type Payload = Record<string, unknown>;

/** A webhook ready to POST: the raw body and the headers Meta sends with it. */
export interface SignedWebhook {
  body: string;
  headers: { "content-type": string; "x-hub-signature-256": string };
}

/** Error item of a failed call's terminate webhook. */
export interface WebhookErrorPayload {
  code: number;
  message: string;
  href?: string;
  error_data?: { details: string };
}

/**
 * A terminate webhook's `errors[]` item for `code`, as Meta's sample writes it
 * (`message` holds the title; `value.errors[]`, user-initiated calls page:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls).
 */
export function webhookError(code: CallErrorCode, details?: string): WebhookErrorPayload {
  const info = CALL_ERRORS[code];
  return {
    code,
    message: info.title,
    href: CALL_ERRORS_HREF,
    error_data: { details: details ?? info.meaning },
  };
}

/** `errors[]` item Meta attaches when the call dropped for lack of business media. */
export const MEDIA_RECEIVE_TIMEOUT_ERROR: WebhookErrorPayload = {
  code: 138021,
  message: "Media receive timeout",
  href: "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
  error_data: { details: "The call was dropped because no media was received from the business" },
};

type Direction = "USER_INITIATED" | "BUSINESS_INITIATED";

function envelope(business: BusinessNumber, field: string, value: Payload): Payload {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: business.wabaId, changes: [{ field, value }] }],
  };
}

function metadata(business: BusinessNumber): Payload {
  return {
    display_phone_number: business.displayPhoneNumber,
    phone_number_id: business.phoneNumberId,
  };
}

function optional(fields: Record<string, unknown>): Payload {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/**
 * The WhatsApp user on a call. Since the 2026 username rollout Meta may omit
 * the number and name the user by a business-scoped user id (BSUID) only:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls
 */
export interface WhatsAppUserParams {
  /** The user's number; leave out for a username user whose number Meta hides. */
  user?: string;
  /** BSUID, e.g. `BR.1502576394655843` (`from_user_id` / `to_user_id` / `contacts[].user_id`). */
  userId?: string;
  /** `profile.username`. */
  username?: string;
}

/** Fields common to the call webhook builders. */
export interface CallWebhookParams extends WhatsAppUserParams {
  business?: BusinessNumber;
  callId: string;
  /** Unix seconds. */
  timestamp: number;
  bizOpaqueCallbackData?: string;
}

/** Caller and callee as Meta writes them for the call's direction; the user's number may be absent. */
function parties(business: BusinessNumber, p: WhatsAppUserParams, direction: Direction): Payload {
  return direction === "USER_INITIATED"
    ? optional({ to: business.displayPhoneNumber, from: p.user, from_user_id: p.userId })
    : optional({ to: p.user, to_user_id: p.userId, from: business.displayPhoneNumber });
}

/** `contacts[]` naming the user as Meta does: `wa_id` only when the number is shown. */
function contacts(p: WhatsAppUserParams & { callerName?: string | undefined }): Payload[] {
  return [{
    profile: optional({ name: p.callerName ?? "WhatsApp User", username: p.username }),
    ...optional({ wa_id: p.user, user_id: p.userId }),
  }];
}

/** Whether a builder whose Meta sample carries `contacts` for username users should add them. */
const namesUser = (p: WhatsAppUserParams & { callerName?: string | undefined }) =>
  p.userId !== undefined || p.username !== undefined || p.callerName !== undefined;

/** User-initiated `connect` carrying Meta's SDP offer. */
export function connectOffer(
  p: CallWebhookParams & {
    sdp: string;
    callerName?: string;
    deeplinkPayload?: string;
    ctaPayload?: string;
    /** 2026 additions (from_user_id, to_user_id, …) merged into the call object. */
    extra?: Payload;
    /** 2026 additions (username, user_id) merged into the contact. */
    contactExtra?: Payload;
  },
): Payload {
  const business = p.business ?? DEFAULT_BUSINESS;
  return envelope(business, "calls", {
    messaging_product: "whatsapp",
    metadata: metadata(business),
    contacts: contacts(p).map((c) => ({ ...c, ...p.contactExtra })),
    calls: [{
      id: p.callId,
      ...parties(business, p, "USER_INITIATED"),
      event: "connect",
      timestamp: String(p.timestamp),
      direction: "USER_INITIATED",
      ...optional({
        deeplink_payload: p.deeplinkPayload,
        cta_payload: p.ctaPayload,
        biz_opaque_callback_data: p.bizOpaqueCallbackData,
      }),
      ...p.extra,
      session: { sdp_type: "offer", sdp: p.sdp },
    }],
  });
}

/** Business-initiated `connect` carrying Meta's SDP answer (and the legacy copy Meta still sends). */
export function connectAnswer(
  p: CallWebhookParams & { sdp: string; callerName?: string },
): Payload {
  const business = p.business ?? DEFAULT_BUSINESS;
  return envelope(business, "calls", {
    messaging_product: "whatsapp",
    metadata: metadata(business),
    ...(namesUser(p) ? { contacts: contacts(p) } : {}),
    calls: [{
      id: p.callId,
      ...parties(business, p, "BUSINESS_INITIATED"),
      event: "connect",
      timestamp: String(p.timestamp),
      direction: "BUSINESS_INITIATED",
      ...optional({ biz_opaque_callback_data: p.bizOpaqueCallbackData }),
      session: { sdp_type: "answer", sdp: p.sdp },
      connection: { webrtc: { sdp: p.sdp } },
    }],
  });
}

/**
 * `terminate`; times only when the call was picked up. `errors` go beside
 * `calls`, where Meta documents them; `callErrors` go on the call object, a
 * placement Meta does not document but a receiver must survive. `status` is
 * any string: Meta writes `COMPLETED` and `Completed`, and may add values.
 */
export function terminate(
  p: CallWebhookParams & {
    status: string;
    direction?: Direction;
    callerName?: string;
    deeplinkPayload?: string;
    ctaPayload?: string;
    /** Unix seconds. */
    startTime?: number;
    /** Unix seconds. */
    endTime?: number;
    duration?: number;
    errors?: WebhookErrorPayload[];
    callErrors?: WebhookErrorPayload[];
  },
): Payload {
  const business = p.business ?? DEFAULT_BUSINESS;
  const direction = p.direction ?? "USER_INITIATED";
  return envelope(business, "calls", {
    messaging_product: "whatsapp",
    metadata: metadata(business),
    ...(namesUser(p) ? { contacts: contacts(p) } : {}),
    calls: [{
      id: p.callId,
      ...parties(business, p, direction),
      event: "terminate",
      direction,
      ...optional({
        deeplink_payload: p.deeplinkPayload,
        cta_payload: p.ctaPayload,
        biz_opaque_callback_data: p.bizOpaqueCallbackData,
      }),
      timestamp: String(p.timestamp),
      status: p.status,
      ...optional({
        start_time: p.startTime === undefined ? undefined : String(p.startTime),
        end_time: p.endTime === undefined ? undefined : String(p.endTime),
        duration: p.duration,
        errors: p.callErrors,
      }),
    }],
    ...optional({ errors: p.errors }),
  });
}

/** Business-initiated call status (`statuses[]` on field `calls`). */
export function callStatus(
  p: CallWebhookParams & { status: "RINGING" | "ACCEPTED" | "REJECTED" },
): Payload {
  const business = p.business ?? DEFAULT_BUSINESS;
  return envelope(business, "calls", {
    messaging_product: "whatsapp",
    metadata: metadata(business),
    statuses: [{
      id: p.callId,
      timestamp: String(p.timestamp),
      type: "call",
      status: p.status,
      // `recipient_id` "may be omitted if the user has adopted a username" (Meta's reference).
      ...optional({
        recipient_id: p.user,
        recipient_user_id: p.userId,
        biz_opaque_callback_data: p.bizOpaqueCallbackData,
      }),
    }],
  });
}

/** Call permission reply (field `messages`). */
export function callPermissionReply(p: {
  business?: BusinessNumber;
  user: string;
  callerName?: string;
  messageId: string;
  /** wamid of the request, or wacid of the call that granted permission. */
  contextId: string;
  response: "accept" | "reject";
  isPermanent: boolean;
  timestamp: number;
  expirationTimestamp?: number;
  responseSource: "user_action" | "automatic";
}): Payload {
  const business = p.business ?? DEFAULT_BUSINESS;
  return userMessage(business, p, {
    context: { from: business.displayPhoneNumber, id: p.contextId },
    type: "interactive",
    interactive: {
      type: "call_permission_reply",
      call_permission_reply: {
        response: p.response,
        is_permanent: p.isPermanent,
        ...optional({
          expiration_timestamp: p.expirationTimestamp === undefined
            ? undefined
            : String(p.expirationTimestamp),
        }),
        response_source: p.responseSource,
      },
    },
  });
}

/** Plain text message (field `messages`), which call handling must pass through. */
export function textMessage(p: {
  business?: BusinessNumber;
  user: string;
  callerName?: string;
  messageId: string;
  timestamp: number;
  text: string;
}): Payload {
  return userMessage(p.business ?? DEFAULT_BUSINESS, p, { text: { body: p.text }, type: "text" });
}

/** A `messages` change carrying one message from `p.user`, with its contact. */
function userMessage(
  business: BusinessNumber,
  p: { user: string; callerName?: string; messageId: string; timestamp: number },
  message: Record<string, unknown>,
): Payload {
  return envelope(business, "messages", {
    messaging_product: "whatsapp",
    metadata: metadata(business),
    contacts: [{ profile: { name: p.callerName ?? "WhatsApp User" }, wa_id: p.user }],
    messages: [{ from: p.user, id: p.messageId, timestamp: String(p.timestamp), ...message }],
  });
}

/** Serialises `payload` (or takes a raw body verbatim) and signs it with `appSecret`. */
export async function signWebhook(
  payload: Payload | string,
  appSecret: string,
): Promise<SignedWebhook> {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-hub-signature-256": await signMetaBody(body, appSecret),
    },
  };
}

/** Told about each webhook just before it is posted (the fake Graph API registers calls this way). */
export interface WebhookObserver {
  observeWebhook(webhook: SignedWebhook): void;
}

/** Outcome of one POST. */
export interface Delivery {
  webhook: SignedWebhook;
  status: number;
  responseBody: string;
}

/** Options of {@link postWebhook} and {@link deliver}. */
export interface PostOptions {
  fetch?: typeof fetch;
  observer?: WebhookObserver;
}

/** POSTs one webhook like Meta does. */
export async function postWebhook(
  url: string,
  webhook: SignedWebhook,
  options: PostOptions = {},
): Promise<Delivery> {
  options.observer?.observeWebhook(webhook);
  const doFetch = options.fetch ?? fetch;
  const res = await doFetch(url, { method: "POST", headers: webhook.headers, body: webhook.body });
  return { webhook, status: res.status, responseBody: await res.text() };
}

/**
 * The order in which {@link deliver} sends `webhooks`: each twice when
 * `duplicate`, then Fisher–Yates shuffled by `shuffle` (a seed) when given.
 */
export function deliveryOrder<T>(
  webhooks: readonly T[],
  options: { duplicate?: boolean; shuffle?: number } = {},
): T[] {
  const order = options.duplicate ? webhooks.flatMap((w) => [w, w]) : [...webhooks];
  if (options.shuffle !== undefined) {
    const random = mulberry32(options.shuffle);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  return order;
}

/** POSTs `webhooks` one after another in {@link deliveryOrder}. */
export async function deliver(
  url: string,
  webhooks: readonly SignedWebhook[],
  options: PostOptions & { duplicate?: boolean; shuffle?: number } = {},
): Promise<Delivery[]> {
  const results: Delivery[] = [];
  for (const w of deliveryOrder(webhooks, options)) {
    results.push(await postWebhook(url, w, options));
  }
  return results;
}
