/**
 * What each WhatsApp call event does, exactly once per `(call id, event)`
 * however often and in whatever order Meta delivers it.
 *
 * A user-initiated `connect` is answered as: dedupe → record `offered` →
 * bridge session (our SDP answer) → Graph `pre_accept` → bounded wait for the
 * bridge's ICE and DTLS (`media_wait.ts`; rejected when they never come) →
 * Graph `accept` → bridge `accept` (media starts). Every step re-reads the call's status
 * through an atomic store transition, so a `terminate` processed concurrently
 * wins: no `accept` is sent for a call that has ended, and the bridge session
 * is closed. A caller is never left ringing: when no answer can be produced
 * the call is rejected at Meta.
 *
 * A late `connect` whose `terminate` came first is recorded as
 * `connect_after_terminate` and not answered at all: the call is already over
 * at Meta, so a `reject` would only earn an error.
 *
 * @module
 */

import type { CallEventItem } from "../../../lib/whatsapp/webhook.ts";
import { ConnectOffer } from "./connect_offer.ts";
import { handleTerminate } from "./terminate.ts";
import { recordOnly } from "./record_only.ts";
import type { CallEventResult, CallFlowDeps } from "./flow_common.ts";

export {
  type CallEventResult,
  type CallFlowDeps,
  type CallOutcome,
  DEFAULT_STALE_AFTER_MS,
  eventDedupeKey,
} from "./flow_common.ts";

/**
 * Handles one call event. Graph and bridge failures are outcomes; store
 * failures are deferred to the outbox, and only an outbox failure propagates.
 */
export function handleCallEvent(deps: CallFlowDeps, item: CallEventItem): Promise<CallEventResult> {
  switch (item.kind) {
    case "connect_offer":
      return new ConnectOffer(deps, item).run();
    case "terminate":
      return handleTerminate(deps, item);
    case "connect_answer":
    case "status":
      return recordOnly(deps, item);
  }
}
