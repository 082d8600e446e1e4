/**
 * The webhooks the fake Meta sends about one of its calls, built from the
 * call's record: the terminate (with times only when the call was picked up,
 * `errors` only when it failed) and a business-initiated call's answer.
 *
 * @module
 */

import type { FakeCall } from "./meta_call_rules.ts";
import {
  type BusinessNumber,
  connectAnswer,
  type Payload,
  terminate,
  type WebhookErrorPayload,
} from "./meta_webhooks.ts";

/** Statuses the fake ends calls with. */
export type TerminateStatus = "COMPLETED" | "FAILED";

/** Fields every webhook about `call` carries: the user and the opaque data. */
function callFields(call: FakeCall, business: BusinessNumber) {
  return {
    business,
    callId: call.callId,
    ...(call.user === undefined ? {} : { user: call.user }),
    ...(call.userId === undefined ? {} : { userId: call.userId }),
    ...(call.bizOpaqueCallbackData === undefined
      ? {}
      : { bizOpaqueCallbackData: call.bizOpaqueCallbackData }),
  };
}

/** `terminate` for `call`, sent at `nowMs`. */
export function terminateWebhook(
  call: FakeCall,
  business: BusinessNumber,
  nowMs: number,
  status: TerminateStatus,
  errors?: WebhookErrorPayload[],
): Payload {
  const nowSec = Math.floor(nowMs / 1000);
  const picked = call.acceptedAt === undefined ? undefined : Math.floor(call.acceptedAt / 1000);
  return terminate({
    ...callFields(call, business),
    direction: call.direction,
    timestamp: nowSec,
    status,
    ...(picked === undefined
      ? {}
      : { startTime: picked, endTime: nowSec, duration: nowSec - picked }),
    ...(errors === undefined ? {} : { errors }),
  });
}

/** Business-initiated `connect` carrying the callee's answer `sdp`, sent at `nowMs`. */
export function connectAnswerWebhook(
  call: FakeCall,
  business: BusinessNumber,
  nowMs: number,
  sdp: string,
): Payload {
  return connectAnswer({ ...callFields(call, business), timestamp: Math.floor(nowMs / 1000), sdp });
}
