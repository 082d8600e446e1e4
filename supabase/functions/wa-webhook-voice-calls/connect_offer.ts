/**
 * A user-initiated `connect`: dedupe → record `offered` → bridge session (our
 * SDP answer) → Graph `pre_accept` → bounded wait for the bridge's ICE and
 * DTLS (`media_wait.ts`) → Graph `accept` → bridge `accept`. Each step goes
 * through an atomic store transition so a concurrent `terminate` wins.
 *
 * With the database down (`DeferringStore` answers `undefined`) the call
 * goes on as if each write applied: dedupe then rests on the bridge, which
 * refuses a second session for a call id (409, an answer already under
 * way), and the writes reach the database later through the outbox.
 *
 * @module
 */
import { type GraphActionResult, GraphApiError } from "../../../lib/whatsapp/graph.ts";
import type { ConnectOfferItem } from "../../../lib/whatsapp/webhook.ts";
import { BridgeError, bridgeFailureReason } from "../../../lib/bridge_api/client.ts";
import { maskPhone, maskUserId } from "../../../lib/whatsapp/mask.ts";
import { describeCallError } from "../../../lib/whatsapp/call_errors.ts";
import { type CallFields, type CallStatus, LIVE_CALL_STATUSES } from "../../../store/store.ts";
import type { FunctionLogger } from "../_shared/log.ts";
import { callerContext, callerRecord } from "./caller.ts";
import { waitForMedia } from "./media_wait.ts";
import {
  type CallEventResult,
  type CallFlowDeps,
  callLog,
  type CallOutcome,
  endBridgeSession,
  eventDedupeKey,
  isTerminal,
} from "./flow_common.ts";

/** Why an answer was abandoned, and how to tell Meta. */
interface Abandon {
  /** `reject` while the caller still rings, `terminate` once Meta has our answer. */
  graphAction: "reject" | "terminate";
  status: "rejected" | "failed";
  reason: string;
  error?: unknown;
  sessionId?: string;
}

/** Answers one offered call; `run()` once. */
export class ConnectOffer {
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
    const { store, bridge } = this.#deps;
    const item = this.#item;
    const { inserted } = await store.recordEvent({
      callId: item.callId,
      name: "connect",
      dedupeKey: eventDedupeKey(item),
      occurredAt: new Date(item.timestamp),
      data: {
        direction: "USER_INITIATED",
        from: item.from,
        fromUserId: item.fromUserId,
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
      from: item.from && maskPhone(item.from),
      fromUserId: item.fromUserId && maskUserId(item.fromUserId),
      to: maskPhone(item.to),
      phoneNumberId: item.phoneNumberId,
      ageMs,
    });
    // No status given: a row a terminate already created keeps its final status.
    const call = await store.upsertCall({
      callId: item.callId,
      direction: "user_initiated",
      ...callerRecord(item),
      toNumber: item.to,
      phoneNumberId: item.phoneNumberId,
      offeredAt: new Date(this.#receivedAt),
    });
    if (call !== undefined && isTerminal(call.status)) {
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
        caller: callerContext(item),
      });
    } catch (error) {
      if (error instanceof BridgeError && error.failure === "conflict") {
        this.#log.info("WA_CALL_DUPLICATE", { event: "connect", by: "bridge" });
        return this.#result("duplicate");
      }
      const reason = bridgeFailureReason(error);
      return await this.#abandon({ graphAction: "reject", status: "rejected", reason, error });
    }
    try {
      return await this.#answer(session);
    } catch (error) {
      // The store and the outbox both refused mid-call: Meta still hears from us
      // (reject while it rings, terminate once accepted) and the session goes.
      const graphAction = this.#accepted ? "terminate" : "reject";
      await this.#abandon({
        graphAction,
        status: "failed",
        reason: "store_failed",
        error,
        sessionId: session.sessionId,
      }).catch(() => {});
      throw error;
    }
  }

  /** Accepted at Meta: a failure from here on is a `terminate`, not a `reject`. */
  #accepted = false;
  /** Meta was sent our reject or terminate. */
  #metaTold = false;

  /** From the bridge's answer to a call in progress; store failures propagate. */
  async #answer(session: { sessionId: string; sdp: string }): Promise<CallEventResult> {
    const { store, bridge, graph } = this.#deps;
    const item = this.#item;
    const sessionId = session.sessionId;
    const withSession = await store.upsertCall({ callId: item.callId, bridgeSessionId: sessionId });
    if (withSession !== undefined && isTerminal(withSession.status)) {
      return await this.#endedDuringSetup(sessionId, withSession.status);
    }

    const answer = { phoneNumberId: item.phoneNumberId, callId: item.callId, sdp: session.sdp };
    try {
      this.#noteAlreadyApplied("pre_accept", await graph.preAccept(answer));
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
    if (pre !== undefined && !pre.applied) {
      return await this.#endedDuringSetup(sessionId, pre.call?.status);
    }
    this.#log.info("WA_CALL_PRE_ACCEPTED", { sessionId, elapsedMs: this.#elapsed() });

    const media = await waitForMedia(bridge, sessionId, this.#deps.mediaConnectWaitMs);
    if (!media.connected) {
      // A terminate (hang-up, ring-out) ends the session and so the wait.
      const now = await store.getCall(item.callId);
      if (now === null || (now !== undefined && isTerminal(now.status))) {
        return await this.#endedDuringSetup(sessionId, now?.status);
      }
      return await this.#abandon({
        graphAction: "reject",
        status: "failed",
        reason: media.reason,
        error: media.error,
        sessionId,
      });
    }
    this.#log.info("WA_CALL_MEDIA_CONNECTED", { sessionId, elapsedMs: this.#elapsed() });

    // Set-up latency as the caller waits for it: webhook received → accept sent.
    const webhookToAcceptMs = this.#elapsed();
    try {
      this.#noteAlreadyApplied("accept", await graph.accept(answer));
      this.#accepted = true;
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
    if (acc !== undefined && !acc.applied) {
      return await this.#endedDuringSetup(sessionId, acc.call?.status);
    }
    try {
      await bridge.acceptSession(sessionId);
    } catch (error) {
      const reason = bridgeFailureReason(error, "bridge_accept");
      return await this.#abandon({
        graphAction: "terminate",
        status: "failed",
        reason,
        error,
        sessionId,
      });
    }
    await store.recordEvent({
      callId: item.callId,
      name: "accepted",
      data: { sessionId, webhookToAcceptMs },
    });
    this.#log.info("WA_CALL_ACCEPTED", { sessionId, elapsedMs: this.#elapsed() });
    return this.#result("accepted");
  }

  /** A retry refused as a repeat: Meta had applied the lost first attempt, so the call goes on. */
  #noteAlreadyApplied(action: "pre_accept" | "accept", result: GraphActionResult): void {
    if (result.alreadyApplied === undefined) return;
    this.#log.warn("WA_GRAPH_ALREADY_APPLIED", {
      action,
      attempts: result.attempts,
      refusal: String(result.alreadyApplied),
    });
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
    // Once only: an abandon whose own store write failed comes back through `run`.
    const tell = !this.#metaTold;
    this.#metaTold = true;
    const meta = a.error instanceof GraphApiError ? a.error : undefined;
    const metaErrorCode = meta?.code;
    // Meta's words, SDP validation details included, for whoever reads the record.
    const metaError = meta && describeCallError(meta);
    const fields: CallFields = {
      endReason: a.reason,
      endedAt: new Date(this.#deps.now()),
      metaErrorCode,
    };
    // Our verdict is written before Meta hears it: Meta answers a reject or terminate with a
    // terminate webhook (COMPLETED), which must find the call already ended by us, not live.
    // A failing store still lets Meta hear first; its error is thrown after (see `run`).
    const written = await this.#deps.store.transitionCall(item.callId, a.status, fields, {
      from: LIVE_CALL_STATUSES,
    }).then(() => ({ ok: true as const }), (error: unknown) => ({ ok: false as const, error }));
    const [graphResult] = await Promise.allSettled([
      !tell
        ? Promise.resolve()
        : a.graphAction === "reject"
        ? this.#deps.graph.reject(ref)
        : this.#deps.graph.terminate(ref),
      this.#endBridge(a),
    ]);
    if (!written.ok) throw written.error;
    const graphError = graphResult.status === "rejected" ? String(graphResult.reason) : undefined;
    await this.#deps.store.recordEvent({
      callId: item.callId,
      name: a.status,
      data: {
        reason: a.reason,
        error: a.error === undefined ? null : String(a.error),
        metaErrorCode: metaErrorCode ?? null,
        metaError: metaError ?? null,
        metaErrorDetails: meta?.details ?? null,
        fbtraceId: meta?.fbtraceId ?? null,
        [`${a.graphAction}Error`]: graphError ?? null,
      },
    });
    const props = {
      reason: a.reason,
      error: a.error === undefined ? undefined : String(a.error),
      metaErrorCode,
      metaError,
      graphAction: a.graphAction,
      graphError,
      elapsedMs: this.#elapsed(),
    };
    if (a.status === "rejected") this.#log.warn("WA_CALL_REJECTED", props);
    else this.#log.error("WA_CALL_FAILED", props);
    return this.#result(a.status, a.reason);
  }

  /**
   * Ends the bridge side of an abandoned call. A create that timed out may
   * still finish: by call id, the bridge drops it without telling Meta.
   */
  #endBridge(a: Abandon): Promise<void> {
    if (a.sessionId !== undefined) return this.#endSession(a.sessionId, a.reason);
    const timedOut = a.error instanceof BridgeError && a.error.failure === "timeout";
    if (!timedOut) return Promise.resolve();
    return endBridgeSession(this.#deps.bridge, this.#log, { callId: this.#item.callId }, a.reason);
  }

  async #endSession(sessionId: string, reason: string): Promise<void> {
    await endBridgeSession(this.#deps.bridge, this.#log, { sessionId }, reason);
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
