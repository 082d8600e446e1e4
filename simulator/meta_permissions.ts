/**
 * The fake Meta's call permissions: plays the user's phone for permission
 * requests. It validates a request like Meta (`POST /{id}/messages`,
 * interactive only inside the customer service window, template otherwise),
 * enforces Meta's limits with Meta's codes, answers as scripted with a
 * signed `call_permission_reply` webhook on the `messages` field, and serves
 * `GET /{id}/call_permissions`.
 *
 * Its bookkeeping is written apart from the product's decision
 * (`lib/whatsapp/call_permission_decision.ts`), so a bug there is not
 * mirrored here. Rules (P unless said):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions
 * - 1 request per 24 h and 2 per 7 days per pair, reset by a connected call → 138009;
 *   a permanent permission → 138017 (T: .../calling/troubleshooting).
 * - Temporary permission: 7 days; no webhook when it lapses.
 * - Calls (seams for the outbound path): no permission → 138006; connected
 *   calls per 24 h (`max_allowed`) → 138012; 4 unanswered in a row revoke,
 *   with a reject/automatic reply webhook.
 *
 * @module
 */

import {
  InteractivePermissionRequestSchema,
  TemplatePermissionRequestSchema,
} from "../lib/whatsapp/call_permissions.ts";
import { customerServiceWindowOpen } from "../lib/whatsapp/customer_service_window.ts";
import { invalid, type MetaFault, tableFault } from "./meta_faults.ts";
import type { BusinessNumber, Payload } from "./meta_webhooks.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** How the user answers the next permission request. */
export type ScriptedReply = "accept_temporary" | "accept_permanent" | "reject" | "none";

/** Options of {@link FakeCallPermissions}. */
export interface FakeCallPermissionsOptions {
  now: () => number;
  /** Sends a webhook (signed and delivered by the fake's outbox). */
  emit: (payload: Payload) => void;
  /** Connected calls Meta allows per 24 h, reported as `max_allowed`. Default 100. */
  connectedCallsPerDay?: number;
  /** Templates that exist (name → language), all with the call_permission_request component. */
  templates?: Record<string, string>;
}

interface Pair {
  status: "no_permission" | "temporary" | "permanent";
  expiresAt?: number;
  requests: number[];
  connected: number[];
  lastConnected?: number;
  unanswered: number;
  /** Last time the user wrote or called: opens the 24 h customer service window. */
  lastUserContact?: number;
}

/** The outcome of a call, for the limits. */
export type FakeCallOutcome = "connected" | "unanswered";

/** The user's side of call permissions. */
export class FakeCallPermissions {
  readonly #o: FakeCallPermissionsOptions;
  readonly #pairs = new Map<string, Pair>();
  readonly #scripts = new Map<string, ScriptedReply>();
  readonly #templates: Record<string, string>;
  #nextMessage = 1;
  /** wamids are unique across Meta, so across fakes too (tests share one store). */
  readonly #idPrefix = crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase();

  /** Creates the fake with no permissions; every user replies `none` until scripted. */
  constructor(o: FakeCallPermissionsOptions) {
    this.#o = o;
    this.#templates = o.templates ?? { sample_cpr_template: "en" };
  }

  /** How `user` answers the next requests. */
  script(user: string, reply: ScriptedReply): void {
    this.#scripts.set(user, reply);
  }

  /** The user wrote to (or called) the business: the customer service window opens for 24 h. */
  userContact(phoneNumberId: string, user: string): void {
    this.#pair(phoneNumberId, user).lastUserContact = this.#o.now();
  }

  /**
   * The user sent a message at `at` (Unix ms, the message's timestamp): the
   * window runs 24 h from the latest one, as in the product's store.
   */
  userWrote(phoneNumberId: string, user: string, at: number): void {
    const pair = this.#pair(phoneNumberId, user);
    pair.lastUserContact = Math.max(pair.lastUserContact ?? -Infinity, at);
  }

  /**
   * A user-initiated call was answered: a connected call resets the request
   * limits (P, F) and, like any user call, opens the customer service window
   * (pricing page: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/pricing).
   */
  userCallConnected(phoneNumberId: string, user: string): void {
    const pair = this.#pair(phoneNumberId, user);
    pair.lastConnected = this.#o.now();
    pair.lastUserContact = this.#o.now();
  }

  /** The pair's permission as Meta sees it now. */
  status(phoneNumberId: string, user: string): Pair["status"] {
    const p = this.#pair(phoneNumberId, user);
    this.#lapse(p);
    return p.status;
  }

  /** `POST /{id}/messages` carrying a permission request. */
  handleRequest(business: BusinessNumber, body: unknown): Response | MetaFault {
    const type = (body as { type?: unknown } | null)?.type;
    const schema = type === "template"
      ? TemplatePermissionRequestSchema
      : InteractivePermissionRequestSchema;
    const parsed = schema.safeParse(body);
    if (!parsed.success) return invalid(parsed.error.issues.map((i) => i.message).join("; "));
    const user = parsed.data.to ?? parsed.data.recipient!;
    if (parsed.data.type === "template") {
      const t = parsed.data.template;
      if (this.#templates[t.name] !== t.language.code) {
        return {
          status: 404,
          code: 132001,
          message: "(#132001) Template name does not exist in the translation",
          details: `template name (${t.name}) does not exist in ${t.language.code}`,
        };
      }
    }
    const pair = this.#pair(business.phoneNumberId, user);
    const now = this.#o.now();
    if (
      parsed.data.type === "interactive" && !customerServiceWindowOpen(pair.lastUserContact, now)
    ) {
      return {
        status: 400,
        code: 131047,
        message: "Re-engagement message",
        details: "Message failed to send because more than 24 hours have passed since the " +
          "customer last replied to this number.",
      };
    }
    const fault = this.#requestFault(pair, now);
    if (fault) return fault;
    pair.requests.push(now);
    const messageId = `wamid.FAKECPR${this.#idPrefix}${
      String(this.#nextMessage++).padStart(6, "0")
    }`;
    this.#answer(business, user, messageId);
    return Response.json({
      messaging_product: "whatsapp",
      contacts: [{ input: user, wa_id: user }],
      messages: [{ id: messageId }],
    });
  }

  /** `GET /{id}/call_permissions?user_wa_id=` (or `recipient=` for a BSUID). */
  handleGet(business: BusinessNumber, params: URLSearchParams): Response | MetaFault {
    const user = params.get("user_wa_id") ?? params.get("recipient");
    if (user === null || user === "") return invalid("The parameter user_wa_id is required");
    const pair = this.#pair(business.phoneNumberId, user);
    this.#lapse(pair);
    const now = this.#o.now();
    const since = (w: number) =>
      pair.requests.filter((t) => t > now - w && t > (pair.lastConnected ?? -Infinity));
    const day = since(DAY);
    const week = since(WEEK);
    const calls = pair.connected.filter((t) => t > now - DAY);
    const max = this.#o.connectedCallsPerDay ?? 100;
    const limit = (period: string, list: number[], maxAllowed: number, window: number) => ({
      time_period: period,
      max_allowed: maxAllowed,
      current_usage: list.length,
      // Present only once the limit is reached (P).
      ...(list.length >= maxAllowed
        ? { limit_expiration_time: Math.ceil((list[list.length - maxAllowed]! + window) / 1000) }
        : {}),
    });
    return Response.json({
      messaging_product: "whatsapp",
      permission: {
        status: pair.status,
        ...(pair.status === "temporary"
          ? { expiration_time: Math.floor(pair.expiresAt! / 1000) }
          : {}),
      },
      actions: [
        {
          action_name: "send_call_permission_request",
          can_perform_action: this.#requestFault(pair, now) === undefined,
          limits: [limit("PT24H", day, 1, DAY), limit("P7D", week, 2, WEEK)],
        },
        {
          action_name: "start_call",
          can_perform_action: pair.status !== "no_permission" && calls.length < max,
          limits: [limit("PT24H", calls, max, DAY)],
        },
      ],
    });
  }

  /** Seam for `/calls connect`: the fault Meta answers a call to `user`, if any. */
  callFault(phoneNumberId: string, user: string): MetaFault | undefined {
    const pair = this.#pair(phoneNumberId, user);
    this.#lapse(pair);
    if (pair.status === "no_permission") return tableFault(138006);
    const now = this.#o.now();
    const calls = pair.connected.filter((t) => t > now - DAY);
    const max = this.#o.connectedCallsPerDay ?? 100;
    if (calls.length < max) return undefined;
    const next = new Date(calls[calls.length - max]! + DAY).toISOString();
    // T: "error_data.details will include a timestamp when the next call is allowed".
    return tableFault(138012, `The next call is allowed after ${next}`);
  }

  /**
   * Seam for the outbound path: a business call connected (resets the
   * request limits and the unanswered streak) or went unanswered (the 4th in
   * a row revokes, with Meta's reject/automatic webhook).
   */
  recordCall(business: BusinessNumber, user: string, outcome: FakeCallOutcome): void {
    const pair = this.#pair(business.phoneNumberId, user);
    const now = this.#o.now();
    if (outcome === "connected") {
      pair.connected.push(now);
      pair.lastConnected = now;
      pair.unanswered = 0;
      pair.lastUserContact = now;
      return;
    }
    pair.unanswered++;
    if (pair.unanswered >= 4 && pair.status !== "no_permission") {
      pair.status = "no_permission";
      delete pair.expiresAt;
      this.#emitReply(business, user, { response: "reject", responseSource: "automatic" });
    }
  }

  /** The user grants a permanent permission from the business profile (reply without context). */
  grantFromProfile(business: BusinessNumber, user: string): void {
    const pair = this.#pair(business.phoneNumberId, user);
    pair.status = "permanent";
    delete pair.expiresAt;
    this.#emitReply(business, user, { response: "accept", permanent: true });
  }

  /** The user called the business with callback permission on: a temporary grant, context = wacid. */
  grantByCall(business: BusinessNumber, user: string, callId: string): void {
    this.#grantTemporary(business, user, callId, "automatic");
  }

  #requestFault(pair: Pair, now: number): MetaFault | undefined {
    this.#lapse(pair);
    if (pair.status === "permanent") return tableFault(138017);
    const counted = (w: number) =>
      pair.requests.filter((t) => t > now - w && t > (pair.lastConnected ?? -Infinity)).length;
    if (counted(DAY) >= 1 || counted(WEEK) >= 2) {
      return tableFault(138009, "Call permission request limit reached for this user");
    }
    return undefined;
  }

  #answer(business: BusinessNumber, user: string, requestId: string): void {
    const reply = this.#scripts.get(user) ?? "none";
    if (reply === "accept_temporary") {
      this.#grantTemporary(business, user, requestId, "user_action");
    }
    if (reply === "accept_permanent") {
      const pair = this.#pair(business.phoneNumberId, user);
      pair.status = "permanent";
      delete pair.expiresAt;
      this.#emitReply(business, user, {
        response: "accept",
        permanent: true,
        contextId: requestId,
      });
    }
    if (reply === "reject") {
      this.#emitReply(business, user, { response: "reject", contextId: requestId });
    }
  }

  #grantTemporary(
    business: BusinessNumber,
    user: string,
    contextId: string,
    source: "user_action" | "automatic",
  ): void {
    const pair = this.#pair(business.phoneNumberId, user);
    const expiresAt = Math.floor((this.#o.now() + WEEK) / 1000) * 1000;
    pair.status = "temporary";
    pair.expiresAt = expiresAt;
    this.#emitReply(business, user, {
      response: "accept",
      permanent: false,
      contextId,
      expiresAt,
      responseSource: source,
    });
  }

  #emitReply(
    business: BusinessNumber,
    user: string,
    r: {
      response: "accept" | "reject";
      permanent?: boolean;
      contextId?: string;
      expiresAt?: number;
      responseSource?: "user_action" | "automatic";
    },
  ): void {
    const now = this.#o.now();
    this.#o.emit(permissionReplyWebhook(business, {
      user,
      messageId: `wamid.FAKEREPLY${this.#idPrefix}${String(this.#nextMessage++).padStart(6, "0")}`,
      timestamp: Math.floor(now / 1000),
      ...r,
    }));
  }

  /** No webhook when a temporary permission lapses (P): Meta just stops allowing calls. */
  #lapse(pair: Pair): void {
    if (pair.status === "temporary" && pair.expiresAt! <= this.#o.now()) {
      pair.status = "no_permission";
      delete pair.expiresAt;
    }
  }

  #pair(phoneNumberId: string, user: string): Pair {
    const key = `${phoneNumberId}:${user}`;
    let pair = this.#pairs.get(key);
    if (pair === undefined) {
      pair = { status: "no_permission", requests: [], connected: [], unanswered: 0 };
      this.#pairs.set(key, pair);
    }
    return pair;
  }
}

/**
 * A `call_permission_reply` webhook in Meta's shape (P, "Webhook sample
 * scenarios"): `is_permanent` and `expiration_timestamp` only where Meta
 * sends them, `context` only when the reply answers a request or a call.
 */
export function permissionReplyWebhook(
  business: BusinessNumber,
  r: {
    user: string;
    messageId: string;
    /** Unix seconds. */
    timestamp: number;
    response: "accept" | "reject";
    permanent?: boolean | undefined;
    contextId?: string | undefined;
    /** Unix ms. */
    expiresAt?: number | undefined;
    responseSource?: "user_action" | "automatic" | undefined;
  },
): Payload {
  const reply: Record<string, unknown> = { response: r.response };
  if (r.response === "accept") reply.is_permanent = r.permanent ?? false;
  if (r.expiresAt !== undefined) {
    reply.expiration_timestamp = String(Math.floor(r.expiresAt / 1000));
  }
  reply.response_source = r.responseSource ?? "user_action";
  const message: Record<string, unknown> = {
    from: r.user,
    id: r.messageId,
    timestamp: String(r.timestamp),
    ...(r.contextId === undefined ? {} : { context: { from: r.user, id: r.contextId } }),
    type: "interactive",
    interactive: { type: "call_permission_reply", call_permission_reply: reply },
  };
  return {
    object: "whatsapp_business_account",
    entry: [{
      id: business.wabaId,
      changes: [{
        field: "messages",
        value: {
          messaging_product: "whatsapp",
          metadata: {
            display_phone_number: business.displayPhoneNumber,
            phone_number_id: business.phoneNumberId,
          },
          contacts: [{ profile: { name: "WhatsApp User" }, wa_id: r.user }],
          messages: [message],
        },
      }],
    }],
  };
}
