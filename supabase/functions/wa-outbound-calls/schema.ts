/**
 * What `wa-outbound-calls` takes and answers: the call request body, and the
 * call's state as the API shows it.
 *
 * @module
 */
import { z } from "zod";
import { CallPurposeSchema } from "../../../lib/bridge_api/schema.ts";
import { MAX_BIZ_OPAQUE_LENGTH } from "../../../lib/whatsapp/graph.ts";
import type { CallRecord } from "../../../store/store.ts";

export { IdempotencyKeySchema } from "../wa-call-permissions/schema.ts";

/**
 * `POST /wa-outbound-calls`: whom to call and why. `user` is the WhatsApp
 * number (digits): Graph `connect` takes `to` (a business-scoped user id
 * needs `recipient`, documented by BSPs only, so it is not offered here).
 */
export const OutboundCallBodySchema = z.object({
  user: z.string().regex(/^\d{6,15}$/, "user must be the WhatsApp number (6-15 digits)"),
  phone_number_id: z.string().regex(/^\d{1,30}$/, "phone_number_id must be digits").optional(),
  /** The agent's instructions and first words for this call, `{{variables}}` filled from `variables`. */
  purpose: CallPurposeSchema.optional(),
  /** Echoed by Meta in the call's status and terminate webhooks. */
  biz_opaque_callback_data: z.string().min(1).max(MAX_BIZ_OPAQUE_LENGTH).optional(),
});

/** A call request. */
export type OutboundCallBody = z.infer<typeof OutboundCallBodySchema>;

/** `GET /wa-outbound-calls/:callId`: the call id in the path. */
export const CallIdPathSchema = z.string().regex(/^wacid\.[\w.=-]{1,250}$/, "not a call id");

const iso = (d: Date | null) => d === null ? null : d.toISOString();

/** A call as the API answers it. */
export function callJson(call: CallRecord): Record<string, unknown> {
  return {
    id: call.callId,
    direction: call.direction,
    status: call.status,
    user: call.toNumber,
    phone_number_id: call.phoneNumberId,
    end_reason: call.endReason,
    meta_error_code: call.metaErrorCode,
    created_at: call.createdAt.toISOString(),
    accepted_at: iso(call.acceptedAt),
    ended_at: iso(call.endedAt),
    duration_seconds: call.durationSeconds,
  };
}
