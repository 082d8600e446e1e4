/**
 * What every step of the call flow shares: its dependencies, outcomes, the
 * dedupe key per Meta event, and how a bridge session is ended.
 *
 * @module
 */
import type { CallEventItem } from "../../../lib/whatsapp/webhook.ts";
import { type BridgeClient, BridgeError } from "../../../lib/bridge_api/client.ts";
import type { GraphClient } from "../../../lib/whatsapp/graph.ts";
import { type CallStatus, type Store, TERMINAL_CALL_STATUSES } from "../../../store/store.ts";
import type { DeferringStore } from "../../../store/deferring_store.ts";
import { type FunctionLogger, functionLogger } from "../_shared/log.ts";
import type { CallFlowEvent } from "./call_events.ts";

/** Connects older than this are not answered: Meta's accept window is 30–60 s. */
export const DEFAULT_STALE_AFTER_MS = 60_000;

/** Everything the flow talks to. */
export interface CallFlowDeps {
  /** Records only {@link CallFlowEvent} names; defers writes while the database is down. */
  store: DeferringStore<CallFlowEvent>;
  graph: GraphClient;
  bridge: BridgeClient;
  /** Unix ms. */
  now: () => number;
  staleAfterMs: number;
  /** Bound on the wait for the bridge's media connection between pre_accept and accept. */
  mediaConnectWaitMs: number;
  /** Counts business-initiated call outcomes for the user's call permission (`store/call_permissions.ts`). */
  permissions?: Pick<Store, "recordPermissionCall"> | undefined;
  /** Bound on waiting for a business-initiated call to be stored (`WA_OUTBOUND_SESSION_WAIT_MS`). */
  sessionWaitMs?: number | undefined;
}

/** What handling one event amounted to. */
export type CallOutcome =
  /** pre_accept and accept sent, media started. */
  | "accepted"
  /** Already handled (same call id and event). */
  | "duplicate"
  /** connect older than the accept window: not answered. */
  | "stale"
  /** connect for a call whose terminate came first: not answered. */
  | "after_terminate"
  /** The call ended while being set up; accept not sent, bridge session closed. */
  | "ended_during_setup"
  /** No answer could be produced; Graph `reject` sent. */
  | "rejected"
  /** Answered but Meta did not take it; Graph `terminate` sent. */
  | "failed"
  /** terminate recorded. */
  | "ended"
  /** Recorded only (statuses, business-initiated answers). */
  | "recorded";

/** Result of {@link handleCallEvent}. */
export interface CallEventResult {
  callId: string;
  kind: CallEventItem["kind"];
  outcome: CallOutcome;
  /** Why, for rejected/failed/ended_during_setup. */
  reason?: string;
}

/** True for a call that has ended. */
export const isTerminal = (s: CallStatus) => TERMINAL_CALL_STATUSES.includes(s);

/** Dedupe key per Meta event; both connect kinds share one since a call has one connect. */
export function eventDedupeKey(item: CallEventItem): string {
  switch (item.kind) {
    case "connect_offer":
    case "connect_answer":
      return `${item.callId}:connect`;
    case "terminate":
      return `${item.callId}:terminate`;
    case "status":
      return `${item.callId}:status:${item.status}`;
  }
}

/** The function's logger for one call. */
export function callLog(callId: string): FunctionLogger {
  return functionLogger("wa-webhook-voice-calls", { callId });
}

/**
 * DELETEs a bridge session, by its id or, when the store cannot say which,
 * by the call it holds; a session already gone is fine, other failures are logged.
 */
export async function endBridgeSession(
  bridge: BridgeClient,
  log: FunctionLogger,
  session: { sessionId: string } | { callId: string },
  reason: string,
): Promise<void> {
  try {
    if ("sessionId" in session) await bridge.endSession(session.sessionId, reason);
    else await bridge.endCall(session.callId, reason);
  } catch (error) {
    if (error instanceof BridgeError && error.failure === "not_found") return;
    log.warn("WA_BRIDGE_END_FAILED", { ...session, error: String(error) });
  }
}
