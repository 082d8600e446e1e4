/**
 * The caller of a user-initiated call as the function passes them on: to the
 * call record (identity and entry point, as received) and to the bridge (what
 * the agent may use). A caller may come with a number, a business-scoped user
 * id, both or neither; the call id is the key.
 *
 * @module
 */

import type { CallerContext } from "../../../lib/bridge_api/schema.ts";
import type { ConnectOfferItem } from "../../../lib/whatsapp/webhook.ts";
import type { CallFields } from "../../../store/store.ts";

/** The caller's identity and where they called from, for `voice_calls`; absent fields untouched. */
export function callerRecord(item: ConnectOfferItem): CallFields {
  return {
    fromNumber: item.from,
    fromUserId: item.fromUserId,
    username: item.callerUsername,
    profileName: item.callerName,
    ctaPayload: item.ctaPayload,
    deeplinkPayload: item.deeplinkPayload,
    bizOpaqueCallbackData: item.bizOpaqueCallbackData,
  };
}

/**
 * What the bridge hands the agent about the caller: never the number (see
 * `bridge/agents/instructions.ts`). The bridge bounds each value.
 */
export function callerContext(item: ConnectOfferItem): CallerContext {
  return {
    userId: item.fromUserId,
    username: item.callerUsername,
    name: item.callerName,
    ctaPayload: item.ctaPayload,
    deeplinkPayload: item.deeplinkPayload,
    bizOpaqueCallbackData: item.bizOpaqueCallbackData,
  };
}
