/**
 * Sends a reserved permission request to Graph, once, and records the answer
 * to replay for a retried `Idempotency-Key`:
 * - sent → 201 with the request's wamid (a reply webhook will follow);
 * - Meta refused → 502 with Meta's code (the request does not count);
 * - no answer (timeout, 5xx) → 504; counted against the limits, since Meta
 *   may have sent it, and never retried with the same key.
 *
 * @module
 */

import {
  effectiveStatus,
  type PermissionRequestContent,
} from "../../../lib/whatsapp/call_permissions.ts";
import { GraphPermissionError } from "../../../lib/whatsapp/graph_permissions.ts";
import type { PermissionRequestRecord } from "../../../store/call_permissions.ts";
import { functionLogger } from "../_shared/log.ts";
import type { Ctx } from "./index.ts";
import { permissionJson } from "./schema.ts";

const log = functionLogger("wa-call-permissions");

/** Sends `request` (reserved, pending) with `content`; the answer is stored before it is returned. */
export async function sendReserved(
  ctx: Ctx,
  request: PermissionRequestRecord,
  content: PermissionRequestContent,
  userLog: Record<string, unknown>,
): Promise<Response> {
  const pair = { phoneNumberId: request.phoneNumberId, user: request.user };
  const view = {
    id: request.id,
    phone_number_id: pair.phoneNumberId,
    user: pair.user,
    type: content.kind,
    requested_at: request.occurredAt.toISOString(),
  };
  let status: "sent" | "failed" | "unknown";
  let http: number;
  let body: Record<string, unknown>;
  let messageId: string | undefined;
  try {
    messageId = (await ctx.graph.sendPermissionRequest({ ...pair, content })).messageId;
    status = "sent";
    http = 201;
    body = { request: { ...view, status, message_id: messageId } };
    log.info("WA_CALL_PERMISSION_REQUESTED", { ...userLog, kind: content.kind, messageId });
  } catch (error) {
    const refused = error instanceof GraphPermissionError;
    const invalid = error instanceof RangeError;
    status = refused || invalid ? "failed" : "unknown";
    http = invalid ? 400 : refused ? 502 : 504;
    body = {
      error: invalid ? "invalid_request" : refused ? "meta_refused" : "meta_outcome_unknown",
      request: { ...view, status },
      ...(refused
        ? {
          meta_code: error.code,
          details: error.details ?? null,
          fbtrace_id: error.fbtraceId ?? null,
        }
        : { detail: String(error instanceof Error ? error.message : error) }),
    };
    log.warn("WA_CALL_PERMISSION_GRAPH_FAILED", {
      ...userLog,
      outcome: status,
      ...(refused ? { metaCode: error.code } : { error: String(error) }),
    });
  }
  const outcome = { status, ...(messageId === undefined ? {} : { messageId }) };
  // Settled first, so the permission shown counts the request only if it counts.
  await ctx.store.completePermissionRequest(request.id, {
    ...outcome,
    response: { status: http, body },
  });
  const state = await ctx.store.readCallPermission(pair, ctx.now);
  body.permission = permissionJson(state, effectiveStatus(state, ctx.now), ctx.now);
  await ctx.store.completePermissionRequest(request.id, {
    ...outcome,
    response: { status: http, body },
  });
  return Response.json(body, { status: http });
}
