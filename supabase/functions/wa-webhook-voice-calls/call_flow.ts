/**
 * What each WhatsApp call event does, exactly once per `(call id, event)`
 * however often and in whatever order Meta delivers it.
 *
 * A user-initiated `connect` is answered as: dedupe → record `offered` →
 * bridge session (our SDP answer) → Graph `pre_accept` → Graph `accept` →
 * bridge `accept` (media starts). Every step re-reads the call's status
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

import { GraphApiError, type GraphClient } from "../../../lib/whatsapp/graph.ts";
import type {
  CallEventItem,
  ConnectAnswerItem,
  ConnectOfferItem,
  StatusItem,
  TerminateItem,
} from "../../../lib/whatsapp/webhook.ts";
import { type BridgeClient, BridgeError } from "../../../lib/bridge_api/client.ts";
import { maskPhone } from "../../../lib/whatsapp/mask.ts";
import {
  CALL_STATUSES,
  type CallEventStore,
  type CallFields,
  type CallStatus,
  TERMINAL_CALL_STATUSES,
} from "../../../store/store.ts";
import { type FunctionLogger, functionLogger } from "../_shared/log.ts";
import { type CallFlowEvent, STATUS_EVENTS } from "./call_events.ts";

/** Connects older than this are not answered: Meta's accept window is 30–60 s. */
export const DEFAULT_STALE_AFTER_MS = 60_000;

/** Everything the flow talks to. */
export interface CallFlowDeps {
  /** Records only {@link CallFlowEvent} names. */
  store: CallEventStore<CallFlowEvent>;
  graph: GraphClient;
  bridge: BridgeClient;
  /** Unix ms. */
  now: () => number;
  staleAfterMs: number;
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

const LIVE_STATUSES: readonly CallStatus[] = CALL_STATUSES.filter(
  (s) => !TERMINAL_CALL_STATUSES.includes(s),
);

const isTerminal = (s: CallStatus) => TERMINAL_CALL_STATUSES.includes(s);

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

function callLog(callId: string): FunctionLogger {
  return functionLogger("wa-webhook-voice-calls", { callId });
}

/** Handles one call event. Store failures propagate; Graph and bridge failures are outcomes. */
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

/** Why an answer was abandoned, and how to tell Meta. */
interface Abandon {
  /** `reject` while the caller still rings, `terminate` once Meta has our answer. */
  graphAction: "reject" | "terminate";
  status: "rejected" | "failed";
  reason: string;
  error?: unknown;
  sessionId?: string;
}

class ConnectOffer {
  readonly #deps: CallFlowDeps;
  readonly #item: ConnectOfferItem;
  readonly #log: FunctionLogger;
  readonly #receivedAt: number;

  constructor(deps: CallFlowDeps, item: ConnectOfferItem) {
    this.#deps = deps;
    this.#item = item;
    this.#log = callLog(item.callId);
    this.#receivedAt = deps.now();
  }

  async run(): Promise<CallEventResult> {
    const { store, bridge, graph } = this.#deps;
    const item = this.#item;
    const { inserted } = await store.recordEvent({
      callId: item.callId,
      name: "connect",
      dedupeKey: eventDedupeKey(item),
      occurredAt: new Date(item.timestamp),
      data: {
        direction: "USER_INITIATED",
        from: item.from,
        to: item.to,
        phoneNumberId: item.phoneNumberId,
        sdp: item.sdp,
      },
    });
    if (!inserted) {
      this.#log.info("WA_CALL_DUPLICATE", { event: "connect" });
      return this.#result("duplicate");
    }
    const ageMs = this.#receivedAt - item.timestamp;
    this.#log.info("WA_CALL_CONNECT", {
      from: maskPhone(item.from),
      to: maskPhone(item.to),
      phoneNumberId: item.phoneNumberId,
      ageMs,
    });
    // No status given: a row a terminate already created keeps its final status.
    const call = await store.upsertCall({
      callId: item.callId,
      direction: "user_initiated",
      fromNumber: item.from,
      toNumber: item.to,
      phoneNumberId: item.phoneNumberId,
      offeredAt: new Date(this.#receivedAt),
    });
    if (isTerminal(call.status)) {
      await store.recordEvent({ callId: item.callId, name: "connect_after_terminate" });
      this.#log.info("WA_CALL_CONNECT_IGNORED", {
        reason: "connect_after_terminate",
        status: call.status,
      });
      return this.#result("after_terminate");
    }
    if (ageMs > this.#deps.staleAfterMs) {
      await store.recordEvent({ callId: item.callId, name: "connect_stale", data: { ageMs } });
      await store.transitionCall(item.callId, "failed", {
        endReason: "connect_stale",
        endedAt: new Date(this.#deps.now()),
      }, { from: ["offered"] });
      this.#log.warn("WA_CALL_CONNECT_IGNORED", { reason: "connect_stale", ageMs });
      return this.#result("stale");
    }

    let session;
    try {
      session = await bridge.createSession({
        callId: item.callId,
        phoneNumberId: item.phoneNumberId,
        from: item.from,
        to: item.to,
        sdp: item.sdp,
      });
    } catch (error) {
      const reason = error instanceof BridgeError ? `bridge_${error.failure}` : "bridge_error";
      return await this.#abandon({ graphAction: "reject", status: "rejected", reason, error });
    }
    const sessionId = session.sessionId;
    const withSession = await store.upsertCall({ callId: item.callId, bridgeSessionId: sessionId });
    if (isTerminal(withSession.status)) {
      return await this.#endedDuringSetup(sessionId, withSession.status);
    }

    const answer = { phoneNumberId: item.phoneNumberId, callId: item.callId, sdp: session.sdp };
    try {
      await graph.preAccept(answer);
    } catch (error) {
      return await this.#abandon({
        graphAction: "reject",
        status: "failed",
        reason: "pre_accept_failed",
        error,
        sessionId,
      });
    }
    const pre = await store.transitionCall(item.callId, "pre_accepted", {
      preAcceptedAt: new Date(this.#deps.now()),
    }, { from: ["offered"] });
    if (!pre.applied) return await this.#endedDuringSetup(sessionId, pre.call?.status);
    this.#log.info("WA_CALL_PRE_ACCEPTED", { sessionId, elapsedMs: this.#elapsed() });

    try {
      await graph.accept(answer);
    } catch (error) {
      return await this.#abandon({
        graphAction: "terminate",
        status: "failed",
        reason: "accept_failed",
        error,
        sessionId,
      });
    }
    const acc = await store.transitionCall(item.callId, "accepted", {
      acceptedAt: new Date(this.#deps.now()),
    }, { from: ["pre_accepted"] });
    if (!acc.applied) return await this.#endedDuringSetup(sessionId, acc.call?.status);
    try {
      await bridge.acceptSession(sessionId);
    } catch (error) {
      const reason = error instanceof BridgeError
        ? `bridge_accept_${error.failure}`
        : "bridge_error";
      return await this.#abandon({
        graphAction: "terminate",
        status: "failed",
        reason,
        error,
        sessionId,
      });
    }
    await store.recordEvent({ callId: item.callId, name: "accepted", data: { sessionId } });
    this.#log.info("WA_CALL_ACCEPTED", { sessionId, elapsedMs: this.#elapsed() });
    return this.#result("accepted");
  }

  /** A terminate got in first: no accept, and the bridge session goes. */
  async #endedDuringSetup(
    sessionId: string,
    status: CallStatus | undefined,
  ): Promise<CallEventResult> {
    await this.#endSession(sessionId, "call_ended_during_setup");
    await this.#deps.store.recordEvent({
      callId: this.#item.callId,
      name: "accept_skipped",
      data: { sessionId, status: status ?? null },
    });
    this.#log.info("WA_CALL_CONNECT_IGNORED", { reason: "ended_during_setup", status, sessionId });
    return this.#result("ended_during_setup", "ended_during_setup");
  }

  async #abandon(a: Abandon): Promise<CallEventResult> {
    const item = this.#item;
    const ref = { phoneNumberId: item.phoneNumberId, callId: item.callId };
    const [graphResult] = await Promise.allSettled([
      a.graphAction === "reject" ? this.#deps.graph.reject(ref) : this.#deps.graph.terminate(ref),
      a.sessionId === undefined ? Promise.resolve() : this.#endSession(a.sessionId, a.reason),
    ]);
    const metaErrorCode = a.error instanceof GraphApiError ? a.error.code : undefined;
    const fields: CallFields = {
      endReason: a.reason,
      endedAt: new Date(this.#deps.now()),
      metaErrorCode,
    };
    await this.#deps.store.transitionCall(item.callId, a.status, fields, { from: LIVE_STATUSES });
    const graphError = graphResult.status === "rejected" ? String(graphResult.reason) : undefined;
    await this.#deps.store.recordEvent({
      callId: item.callId,
      name: a.status,
      data: {
        reason: a.reason,
        error: a.error === undefined ? null : String(a.error),
        metaErrorCode: metaErrorCode ?? null,
        [`${a.graphAction}Error`]: graphError ?? null,
      },
    });
    const props = {
      reason: a.reason,
      error: a.error === undefined ? undefined : String(a.error),
      metaErrorCode,
      graphAction: a.graphAction,
      graphError,
      elapsedMs: this.#elapsed(),
    };
    if (a.status === "rejected") this.#log.warn("WA_CALL_REJECTED", props);
    else this.#log.error("WA_CALL_FAILED", props);
    return this.#result(a.status, a.reason);
  }

  async #endSession(sessionId: string, reason: string): Promise<void> {
    await endBridgeSession(this.#deps.bridge, this.#log, sessionId, reason);
  }

  #elapsed(): number {
    return this.#deps.now() - this.#receivedAt;
  }

  #result(outcome: CallOutcome, reason?: string): CallEventResult {
    const r: CallEventResult = { callId: this.#item.callId, kind: "connect_offer", outcome };
    if (reason !== undefined) r.reason = reason;
    return r;
  }
}

/** DELETEs a bridge session; a session already gone is fine, other failures are logged. */
async function endBridgeSession(
  bridge: BridgeClient,
  log: FunctionLogger,
  sessionId: string,
  reason: string,
): Promise<void> {
  try {
    await bridge.endSession(sessionId, reason);
  } catch (error) {
    if (error instanceof BridgeError && error.failure === "not_found") return;
    log.warn("WA_BRIDGE_END_FAILED", { sessionId, error: String(error) });
  }
}

const TERMINATE_STATUS: Readonly<
  Record<TerminateItem["status"], "completed" | "failed" | "rejected">
> = {
  COMPLETED: "completed",
  FAILED: "failed",
  REJECTED: "rejected",
};

async function handleTerminate(deps: CallFlowDeps, item: TerminateItem): Promise<CallEventResult> {
  const { store } = deps;
  const log = callLog(item.callId);
  const result = (outcome: CallOutcome): CallEventResult => ({
    callId: item.callId,
    kind: "terminate",
    outcome,
  });
  const metaErrorCode = item.errors[0]?.code;
  const { inserted } = await store.recordEvent({
    callId: item.callId,
    name: "terminate",
    dedupeKey: eventDedupeKey(item),
    occurredAt: new Date(item.timestamp),
    data: {
      status: item.status,
      startTime: item.startTime ?? null,
      endTime: item.endTime ?? null,
      durationSec: item.durationSec ?? null,
      errors: item.errors,
    },
  });
  if (!inserted) {
    log.info("WA_CALL_DUPLICATE", { event: "terminate" });
    return result("duplicate");
  }
  const status = TERMINATE_STATUS[item.status];
  const durationSeconds = item.durationSec === undefined ? undefined : Math.round(item.durationSec);
  const ended: CallFields = {
    endedAt: new Date(item.endTime ?? item.timestamp),
    durationSeconds,
    metaErrorCode,
  };
  const live = await store.transitionCall(item.callId, status, {
    ...ended,
    endReason: `meta_${status}`,
  }, { from: LIVE_STATUSES });
  let previous: string;
  if (live.applied) {
    previous = "live";
    const sessionId = live.call?.bridgeSessionId;
    if (sessionId) await endBridgeSession(deps.bridge, log, sessionId, "meta_terminate");
  } else if (live.call === null) {
    // Before its connect: the row exists already ended, so the connect is not answered.
    previous = "none";
    await store.upsertCall({
      callId: item.callId,
      status,
      fromNumber: item.from,
      toNumber: item.to,
      phoneNumberId: item.phoneNumberId,
      ...ended,
      endReason: "terminate_before_connect",
    });
  } else {
    // We ended it first (rejected, failed): keep our verdict, add Meta's figures.
    previous = live.call.status;
    await store.upsertCall({
      callId: item.callId,
      endedAt: item.endTime === undefined ? undefined : new Date(item.endTime),
      durationSeconds,
      metaErrorCode: live.call.metaErrorCode ?? metaErrorCode,
    });
  }
  log.info("WA_CALL_TERMINATE", {
    status: item.status,
    durationSec: item.durationSec,
    metaErrorCode,
    previous,
  });
  return result("ended");
}

/** Tells the bridge session holding the call, if any; the webhook is already recorded either way. */
async function passToBridge(
  deps: CallFlowDeps,
  item: ConnectAnswerItem | StatusItem,
  log: FunctionLogger,
): Promise<void> {
  const sessionId = (await deps.store.getCall(item.callId))?.bridgeSessionId;
  if (!sessionId) return;
  try {
    await deps.bridge.notifySession(
      sessionId,
      item.kind === "status"
        ? { kind: "status", status: item.status }
        : { kind: "connect_answer", sdp: item.sdp },
    );
  } catch (error) {
    log.warn("WA_CALL_BRIDGE_NOTIFY_FAILED", { sessionId, error: String(error) });
  }
}

async function recordOnly(
  deps: CallFlowDeps,
  item: ConnectAnswerItem | StatusItem,
): Promise<CallEventResult> {
  const log = callLog(item.callId);
  const name = item.kind === "status" ? STATUS_EVENTS[item.status] : item.kind;
  const { inserted } = await deps.store.recordEvent({
    callId: item.callId,
    name,
    dedupeKey: eventDedupeKey(item),
    occurredAt: new Date(item.timestamp),
    data: item.kind === "status"
      ? { status: item.status, recipientId: item.recipientId ?? null }
      : { from: item.from, to: item.to, sdp: item.sdp },
  });
  const outcome: CallOutcome = inserted ? "recorded" : "duplicate";
  if (inserted) await passToBridge(deps, item, log);
  if (!inserted) log.info("WA_CALL_DUPLICATE", { event: name });
  else if (item.kind === "status") log.info("WA_CALL_STATUS", { status: item.status });
  else {
    log.info("WA_CALL_CONNECT", {
      direction: "BUSINESS_INITIATED",
      from: maskPhone(item.from),
      to: maskPhone(item.to),
    });
  }
  return { callId: item.callId, kind: item.kind, outcome };
}
