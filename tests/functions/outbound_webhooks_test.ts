/**
 * `wa-webhook-voice-calls` on a business-initiated call's webhooks, in the
 * orders Meta may deliver them (fake bridge, real store): the answer reaches
 * the session even when it beats the call's record, a terminate handled
 * before `REJECTED` does not hide the decline, and a ring-out is unanswered.
 */
import assert from "node:assert/strict";
import { EXAMPLE_ANSWER_SDP } from "../../simulator/meta_graph.ts";
import { callStatus, connectAnswer, terminate } from "../../simulator/meta_webhooks.ts";
import type { VoiceCallsRig } from "./harness.ts";
import { newCallId, nowSec, withRig } from "./harness.ts";

const USER = "447700900555";

/** Stores a ringing business-initiated call held by a fake bridge session. */
async function placed(rig: VoiceCallsRig, callId: string): Promise<string> {
  const sessionId = `s-${callId}`;
  rig.bridge.sessions.set(sessionId, { sessionId, callId, state: "answered" });
  await rig.store.upsertCall({
    callId,
    status: "ringing",
    direction: "business_initiated",
    toNumber: USER,
    phoneNumberId: "106540352242922",
    bridgeSessionId: sessionId,
  });
  return sessionId;
}

const eventsTo = (rig: VoiceCallsRig, sessionId: string) =>
  rig.bridge.requests.filter((r) => r.path === `/sessions/${sessionId}/events`).map((r) => r.body);

Deno.test("Meta's answer that beats the call's record waits for it, then reaches the session", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const answering = rig.send(
      connectAnswer({ callId, user: USER, timestamp: nowSec(), sdp: EXAMPLE_ANSWER_SDP }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const sessionId = await placed(rig, callId);
    assert.deepEqual((await answering)[0]?.outcome, "recorded");
    assert.deepEqual(eventsTo(rig, sessionId), [{
      kind: "connect_answer",
      sdp: EXAMPLE_ANSWER_SDP,
    }]);
  }, { env: { WA_OUTBOUND_SESSION_WAIT_MS: "3000" } }));

Deno.test("terminate handled before REJECTED: the call still ends `rejected`", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const sessionId = await placed(rig, callId);
    await rig.send(terminate({
      callId,
      user: USER,
      timestamp: nowSec(),
      status: "COMPLETED",
      direction: "BUSINESS_INITIATED",
    }));
    let call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed", "never picked up: not `completed`");
    assert.equal(call?.endReason, "not_answered");
    await rig.send(callStatus({ callId, user: USER, timestamp: nowSec(), status: "REJECTED" }));
    call = await rig.store.getCall(callId);
    assert.equal(call?.status, "rejected");
    assert.equal(call?.endReason, "rejected");
    assert.equal(rig.bridge.sessions.get(sessionId)?.state, "ended");
  }));

Deno.test("ACCEPTED marks the pickup (billing starts) and counts the call connected once", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const sessionId = await placed(rig, callId);
    const accepted = callStatus({ callId, user: USER, timestamp: nowSec(), status: "ACCEPTED" });
    await rig.send(accepted);
    await rig.send(accepted);
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "accepted");
    assert.ok(call?.acceptedAt);
    assert.deepEqual(eventsTo(rig, sessionId), [{ kind: "status", status: "ACCEPTED" }]);
    const books = await rig.store.listCallPermissionEvents({
      phoneNumberId: "106540352242922",
      user: USER,
    });
    assert.equal(books.filter((e) => e.callId === callId && e.kind === "call_connected").length, 1);
  }));
