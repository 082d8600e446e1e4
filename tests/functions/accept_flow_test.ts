/**
 * Accepting the way Meta documents it: pre_accept, then accept only once the
 * media connection is up (bounded, the caller rejected when it never comes),
 * and a retried pre_accept/accept that Meta had applied is never a failure.
 */
import assert from "node:assert/strict";
import { DEFAULT_MEDIA_CONNECT_WAIT_MS } from "../../supabase/functions/_shared/env.ts";
import { until } from "../support/until.ts";
import { newCallId, offerFor, terminateFor, type VoiceCallsRig, withRig } from "./harness.ts";

/** The `POST /sessions/:id/connected` requests the fake bridge received. */
const connectedWaits = (rig: VoiceCallsRig) =>
  rig.bridge.requestsTo("POST", "/sessions/").filter((r) => r.path.endsWith("/connected"));

Deno.test("Graph accept waits for the bridge's media connection, then media starts", () =>
  withRig(async (rig) => {
    rig.bridge.media = "held";
    const callId = newCallId();
    const answering = rig.send(offerFor(callId));
    await until(() => connectedWaits(rig).length === 1, 5000, "the connected wait");
    const [wait] = connectedWaits(rig);
    assert.deepEqual(wait?.body, { timeoutMs: DEFAULT_MEDIA_CONNECT_WAIT_MS });
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept"], "no accept before the media");
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "answered", "no media before accept");

    rig.bridge.connect(session!.sessionId);
    assert.deepEqual(await answering, [{ callId, kind: "connect_offer", outcome: "accepted" }]);
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
    assert.equal(session?.state, "accepted");
    const order = rig.bridge.requests.map((r) => r.path.split("/").at(-1));
    assert.deepEqual(order.slice(-2), ["connected", "accept"]);
  }));

Deno.test("WA_MEDIA_CONNECT_WAIT_MS bounds the wait the function asks for", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "accepted");
    assert.deepEqual(connectedWaits(rig)[0]?.body, { timeoutMs: 2500 });
  }, { env: { WA_MEDIA_CONNECT_WAIT_MS: "2500" } }));

Deno.test("media never connects: the ringing call is rejected, never accepted into silence", () =>
  withRig(async (rig) => {
    rig.bridge.media = "down";
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.deepEqual(result, {
      callId,
      kind: "connect_offer",
      outcome: "failed",
      reason: "media_not_connected",
    });
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "reject"]);
    assert.equal(rig.graph.call(callId)?.state, "rejected");
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "ended");
    assert.equal(session?.endReason, "media_not_connected");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.endReason, "media_not_connected");
  }));

Deno.test("media never connects: Meta's terminate answering our reject keeps our failed verdict", () =>
  withRig(async (rig) => {
    rig.bridge.media = "down";
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.equal(result?.outcome, "failed");
    // Meta's terminate may still be on its way: wait (bounded) until it is recorded.
    for (let i = 0; i < 50; i++) {
      if ((await rig.store.listEvents(callId)).some((e) => e.name === "terminate")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok((await rig.store.listEvents(callId)).some((e) => e.name === "terminate"));
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.endReason, "media_not_connected");
  }, { metaWebhooks: true }));

Deno.test("the caller hangs up during the wait: no accept, session ended, nothing rejected", () =>
  withRig(async (rig) => {
    rig.bridge.media = "held";
    const callId = newCallId();
    const answering = rig.send(offerFor(callId));
    await until(() => connectedWaits(rig).length === 1, 5000, "the connected wait");
    await rig.send(terminateFor(callId));
    const [result] = await answering;
    assert.equal(result?.outcome, "ended_during_setup");
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept"]);
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
    assert.equal((await rig.store.getCall(callId))?.status, "completed");
  }));

Deno.test("the session gone before the wait (a bridge restart): rejected with the reason", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    // The session vanishes between pre_accept and the wait (a bridge restart).
    const off = rig.graph.onRequest((r) => {
      if (r.callId === callId && r.action === "pre_accept") rig.bridge.sessions.clear();
    });
    const [result] = await rig.send(offerFor(callId));
    off();
    assert.equal(result?.reason, "bridge_connected_not_found");
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "reject"]);
  }));

for (const action of ["pre_accept", "accept"] as const) {
  Deno.test(`a retried ${action} Meta had applied is treated as done: the call goes on`, () =>
    withRig(async (rig) => {
      // Meta applies the first attempt but its answer is lost (5xx); the retry is
      // refused as a repeat (Meta documents no code for that: the fake says 100).
      rig.graph.failNext(action, { status: 500, code: 138004, applied: true });
      const callId = newCallId();
      const [result] = await rig.send(offerFor(callId));
      assert.deepEqual(result, { callId, kind: "connect_offer", outcome: "accepted" });
      const sent = rig.graph.actionsFor(callId);
      assert.deepEqual(sent.filter((a) => a === action), [action, action]);
      assert.ok(!sent.includes("terminate") && !sent.includes("reject"), sent.join());
      assert.equal(rig.graph.call(callId)?.state, "accepted");
      assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "accepted");
      assert.equal((await rig.store.getCall(callId))?.status, "accepted");
    }));
}
