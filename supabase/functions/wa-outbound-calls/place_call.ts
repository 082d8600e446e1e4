/**
 * Placing one business-initiated call, in the order that never rings a
 * customer twice and never earns a Meta error we could foresee:
 *
 * 1. reserve the `Idempotency-Key` (a retry replays the first answer);
 * 2. check the call permission BEFORE Graph (`call_permission_decision.ts`:
 *    138006 no permission → 409, 138012 connected-call limit → 429);
 * 3. the bridge makes the offer (`POST /offers`);
 * 4. Graph `connect` with the offer, sent once, never retried
 *    (https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/business-initiated-calls);
 * 5. the bridge turns the offer into the call's session, ringing under
 *    `WA_OUTBOUND_RING_TIMEOUT_S`;
 * 6. the call is stored (`business_initiated`, `ringing`, Meta's call id)
 *    and counted as placed for the permission's books.
 *
 * Meta's `connect` webhook (the answer) and statuses then reach the session
 * through `wa-webhook-voice-calls`.
 *
 * @module
 */
import type { BridgeClient } from "../../../lib/bridge_api/client.ts";
import { GraphApiError, type GraphClient } from "../../../lib/whatsapp/graph.ts";
import {
  permissionDecision,
  type PermissionLimits,
} from "../../../lib/whatsapp/call_permissions.ts";
import type { Store } from "../../../store/store.ts";
import type { FunctionsEnv } from "../_shared/env.ts";
import type { FunctionLogger } from "../_shared/log.ts";
import { decisionJson } from "../wa-call-permissions/schema.ts";
import type { OutboundCallBody } from "./schema.ts";

/** What placing a call talks to. */
export interface PlaceCtx {
  env: FunctionsEnv;
  graph: GraphClient;
  bridge: BridgeClient;
  store: Store;
  /** Unix ms. */
  now: number;
  limits: PermissionLimits;
  log: FunctionLogger;
}

/** The reserved request this attempt owns. */
interface Reserved {
  id: number;
  phoneNumberId: string;
}

type Answer = { status: number; body: Record<string, unknown> };

/** Places the call for a freshly reserved key and records the answer a retry replays. */
export async function placeReserved(
  ctx: PlaceCtx,
  reserved: Reserved,
  body: OutboundCallBody,
): Promise<Response> {
  const { store } = ctx;
  const finish = async (
    status: "placed" | "refused" | "failed" | "unknown",
    answer: Answer,
    callId?: string,
    headers: Record<string, string> = {},
  ) => {
    await store.completeOutboundCall(reserved.id, {
      status,
      response: answer,
      ...(callId === undefined ? {} : { callId }),
    });
    return Response.json(answer.body, { status: answer.status, headers });
  };
  const pair = { phoneNumberId: reserved.phoneNumberId, user: body.user };

  const state = await store.readCallPermission(pair, ctx.now);
  const decision = permissionDecision(state, "call", ctx.now, ctx.limits);
  if (!decision.allowed) {
    ctx.log.warn("WA_OUTBOUND_REFUSED", { reason: decision.reason, metaCode: decision.metaCode });
    const headers: Record<string, string> = decision.retryAt === undefined
      ? {}
      : { "retry-after": String(Math.max(1, Math.ceil((decision.retryAt - ctx.now) / 1000))) };
    return await finish(
      "refused",
      {
        status: decision.httpStatus,
        body: { error: decision.reason, ...decisionJson(decision) },
      },
      undefined,
      headers,
    );
  }

  let offer: { offerId: string; sdp: string };
  try {
    offer = await ctx.bridge.createOffer(reserved.phoneNumberId);
  } catch (error) {
    // Nothing reached Meta: the key is freed so the client's retry may place the call.
    ctx.log.error("WA_OUTBOUND_BRIDGE_FAILED", { step: "offer", error: String(error) });
    await store.releaseOutboundCall(reserved.id);
    return Response.json({ error: "bridge_unavailable" }, { status: 503 });
  }

  let callId: string;
  try {
    ({ callId } = await ctx.graph.connect({
      phoneNumberId: reserved.phoneNumberId,
      to: body.user,
      sdp: offer.sdp,
      ...(body.biz_opaque_callback_data === undefined
        ? {}
        : { bizOpaqueCallbackData: body.biz_opaque_callback_data }),
    }));
  } catch (error) {
    await ctx.bridge.discardOffer(offer.offerId).catch(() => {});
    // A 5xx is no refusal: Meta may have placed the call before its answer failed.
    if (error instanceof GraphApiError && error.httpStatus < 500) {
      ctx.log.warn("WA_OUTBOUND_META_REFUSED", { metaCode: error.code, error: error.message });
      return await finish("failed", {
        status: 502,
        body: {
          error: "meta_refused",
          meta_code: error.code,
          details: error.details ?? null,
          fbtrace_id: error.fbtraceId ?? null,
        },
      });
    }
    // Meta may have placed it (timeout, reset, 5xx): never sent again under this key.
    ctx.log.error("WA_OUTBOUND_META_UNKNOWN", { error: String(error) });
    return await finish("unknown", { status: 504, body: { error: "meta_outcome_unknown" } });
  }

  const ringTimeoutS = ctx.env.WA_OUTBOUND_RING_TIMEOUT_S;
  let sessionId: string;
  try {
    ({ sessionId } = await ctx.bridge.createOutboundSession({
      offerId: offer.offerId,
      callId,
      phoneNumberId: reserved.phoneNumberId,
      to: body.user,
      ...(body.purpose === undefined ? {} : { purpose: body.purpose }),
      ...(body.biz_opaque_callback_data === undefined
        ? {}
        : { caller: { bizOpaqueCallbackData: body.biz_opaque_callback_data } }),
      ringTimeoutMs: ringTimeoutS * 1000,
    }));
  } catch (error) {
    // The phone rings with nobody behind it: hang up at once.
    ctx.log.error("WA_OUTBOUND_BRIDGE_FAILED", { step: "session", callId, error: String(error) });
    await ctx.graph.terminate({ phoneNumberId: reserved.phoneNumberId, callId }).catch(() => {});
    await store.upsertCall({
      callId,
      status: "failed",
      direction: "business_initiated",
      toNumber: body.user,
      phoneNumberId: reserved.phoneNumberId,
      endReason: "bridge_failed",
      endedAt: new Date(ctx.now),
    });
    return await finish("failed", {
      status: 502,
      body: { error: "bridge_failed", call_id: callId },
    }, callId);
  }

  // The bridge may have written the row first (its session start): never move a later status back.
  await store.upsertCall({
    callId,
    direction: "business_initiated",
    toNumber: body.user,
    phoneNumberId: reserved.phoneNumberId,
    bridgeSessionId: sessionId,
    ...(body.biz_opaque_callback_data === undefined
      ? {}
      : { bizOpaqueCallbackData: body.biz_opaque_callback_data }),
  });
  await store.transitionCall(callId, "ringing", {}, { from: ["offered"] });
  await store.recordPermissionCall({ ...pair, callId, outcome: "placed", at: ctx.now });
  ctx.log.info("WA_OUTBOUND_PLACED", { callId, sessionId, ringTimeoutS });
  return await finish("placed", {
    status: 201,
    body: {
      call: {
        id: callId,
        direction: "business_initiated",
        status: "ringing",
        user: body.user,
        phone_number_id: reserved.phoneNumberId,
      },
      ring_timeout_s: ringTimeoutS,
      ...(decision.warning === undefined ? {} : { warning: decision.warning }),
    },
  }, callId);
}
