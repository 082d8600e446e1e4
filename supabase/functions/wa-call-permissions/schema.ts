/**
 * HTTP shapes of the `wa-call-permissions` API: the request body, the query
 * string, and the JSON views of a permission and of a decision.
 *
 * @module
 */

import { z } from "zod";
import {
  DAY_WINDOW_MS,
  MAX_REQUEST_BODY_TEXT,
  type PermissionDecision,
  type PermissionRequestContent,
  UserKeySchema,
  WEEK_WINDOW_MS,
} from "../../../lib/whatsapp/call_permissions.ts";
import type { StoredPermission } from "../../../store/call_permissions.ts";

export { IdempotencyKeySchema } from "../_shared/service_request.ts";

const PhoneNumberId = z.string().regex(/^\d{1,30}$/, "phone_number_id must be digits");

/** `POST /requests` body. */
export const PermissionRequestBodySchema = z.strictObject({
  /** Default `WHATSAPP_PHONE_NUMBER_ID`. */
  phone_number_id: PhoneNumberId.optional(),
  /** The user's number (wa_id) or business-scoped user id. */
  user: UserKeySchema,
  /**
   * `interactive` only inside the 24 h customer service window (Meta answers
   * 131047 outside it); `template` (a template with the
   * call_permission_request component) anytime.
   */
  message: z.discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("interactive"),
      body_text: z.string().min(1).max(MAX_REQUEST_BODY_TEXT).optional(),
    }),
    z.strictObject({
      type: z.literal("template"),
      name: z.string().min(1).max(512),
      language: z.string().min(2).max(15),
      body_parameters: z.array(
        z.union([
          z.string(),
          z.strictObject({ name: z.string().min(1), text: z.string() }),
        ]),
      ).max(20).optional(),
    }),
  ]),
});

/** Parsed request body. */
export type PermissionRequestBody = z.infer<typeof PermissionRequestBodySchema>;

/** `GET` query string. */
export const PermissionQuerySchema = z.strictObject({
  phone_number_id: PhoneNumberId.optional(),
  user: UserKeySchema,
  /** `graph`: read Meta's state first (GET call_permissions) and keep it. */
  refresh: z.enum(["graph"]).optional(),
});

/** The Graph-side content of a request body. */
export function requestContent(body: PermissionRequestBody): PermissionRequestContent {
  const m = body.message;
  return m.type === "interactive"
    ? { kind: "interactive", bodyText: m.body_text }
    : { kind: "template", name: m.name, language: m.language, bodyParameters: m.body_parameters };
}

const isoOrNull = (
  ms: number | undefined,
) => (ms === undefined ? null : new Date(ms).toISOString());

/** JSON view of a decision. */
export function decisionJson(d: PermissionDecision): Record<string, unknown> {
  return d.allowed
    ? { allowed: true, ...(d.warning === undefined ? {} : { warning: d.warning }) }
    : {
      allowed: false,
      reason: d.reason,
      meta_code: d.metaCode,
      retry_at: isoOrNull(d.retryAt),
      ...(d.reason === "outside_customer_service_window"
        ? {
          hint: "the user has not written within 24 h: send the request as a template " +
            '(message.type "template"), which the customer service window does not bind',
        }
        : {}),
    };
}

/** JSON view of the pair's permission at `now`. */
export function permissionJson(
  s: StoredPermission,
  status: StoredPermission["status"],
  now: number,
): Record<string, unknown> {
  const after = s.lastConnectedCallAt ?? -Infinity;
  const count = (list: readonly number[], w: number, reset = -Infinity) =>
    list.filter((t) => t > now - w && t > reset && t <= now).length;
  return {
    status,
    expires_at: status === "temporary" ? isoOrNull(s.expiresAt) : null,
    source: s.source ?? null,
    requests_24h: count(s.requestTimes, DAY_WINDOW_MS, after),
    requests_7d: count(s.requestTimes, WEEK_WINDOW_MS, after),
    connected_calls_24h: count(s.connectedCallTimes, DAY_WINDOW_MS),
    connected_call_limit: s.connectedCallLimit ?? null,
    unanswered_streak: s.unansweredStreak,
    graph_synced_at: isoOrNull(s.graphSyncedAt),
  };
}
