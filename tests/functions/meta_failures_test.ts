/**
 * The fake Meta failing the way Meta does, driven through the voice-calls
 * function and the bridge API: a call rung out before our accept, a late
 * accept, calls Meta ends as FAILED with its error codes, SDP refused in
 * Meta's envelope. Each shows the product ends the bridge session and
 * records why, in Meta's words.
 */
import assert from "node:assert/strict";
import { ManualScheduler } from "../../bridge/media/fake_scheduler.ts";
import { DEFAULT_RING_WINDOW_MS, EXAMPLE_ANSWER_SDP } from "../../simulator/meta_graph.ts";
import { CALL_ERRORS } from "../../lib/whatsapp/call_errors.ts";
import { until } from "../support/until.ts";
import { newCallId, offerFor, type VoiceCallsRig, withRig } from "./harness.ts";

/**
 * Places a call whose media stays down, waits until the function waits on the
 * bridge for it, and lets Meta's ring window lapse.
 */
async function ringOutWhileWaiting(rig: VoiceCallsRig, timers: ManualScheduler) {
  rig.bridge.media = "held";
  const callId = newCallId();
  const answering = rig.send(offerFor(callId));
  await until(
    () => rig.bridge.requestsTo("POST", "/sessions/").some((r) => r.path.endsWith("/connected")),
    5000,
    "the connected wait",
  );
  timers.advance(DEFAULT_RING_WINDOW_MS);
  return { callId, answering };
}

async function eventData(rig: VoiceCallsRig, callId: string, name: string) {
  const event = (await rig.store.listEvents(callId)).find((e) => e.name === name);
  assert.ok(event, `no ${name} event`);
  return event.data as Record<string, unknown>;
}

Deno.test("rung out before our accept: Meta's terminate ends the bridge session, no accept sent", async () => {
  const timers = new ManualScheduler();
  await withRig(async (rig) => {
    const { callId, answering } = await ringOutWhileWaiting(rig, timers);
    await rig.graph.flushWebhooks();
    const [result] = await answering;
    assert.equal(result?.outcome, "ended_during_setup");
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept"]);
    assert.equal(rig.graph.call(callId)?.state, "not_answered");
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "ended");
    const ends = rig.bridge.requestsTo("DELETE", `/sessions/${session?.sessionId}`);
    assert.deepEqual(ends[0]?.body, { reason: "meta_terminate" }, "ended by Meta's terminate");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "completed");
    assert.equal(call?.acceptedAt, null, "never accepted, whatever Meta's status says");
    assert.equal(call?.durationSeconds, null);
  }, { graph: { timers }, metaWebhooks: true });
});

Deno.test("accept after Meta's window gets 138007: session ended, failure recorded in Meta's words", async () => {
  const timers = new ManualScheduler();
  // Meta's terminate has not arrived yet (no order is guaranteed): only the late accept tells.
  await withRig(async (rig) => {
    const { callId, answering } = await ringOutWhileWaiting(rig, timers);
    rig.bridge.connect(rig.bridge.sessionsFor(callId)[0]!.sessionId);
    const [result] = await answering;
    assert.equal(result?.outcome, "failed");
    assert.equal(result?.reason, "accept_failed");
    assert.equal(rig.graph.requests.find((r) => r.action === "accept")?.errorCode, 138007);
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "ended");
    assert.equal(session?.endReason, "accept_failed");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.metaErrorCode, 138007);
    const failed = await eventData(rig, callId, "failed");
    assert.match(String(failed.metaError), /^138007 Connect Timeout error: .*not applied in time/);
  }, { graph: { timers } });
});

for (const code of [138019, 138020, 138021, 138022, 138023] as const) {
  Deno.test(`Meta ends a live call FAILED with ${code}: session ended, code and reason recorded`, () =>
    withRig(async (rig) => {
      const callId = newCallId();
      assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "accepted");
      rig.graph.failCall(callId, code, "client log 42");
      await rig.graph.flushWebhooks();
      const [session] = rig.bridge.sessionsFor(callId);
      assert.equal(session?.state, "ended");
      assert.equal(session?.endReason, "meta_terminate");
      const call = await rig.store.getCall(callId);
      assert.equal(call?.status, "failed");
      assert.equal(call?.metaErrorCode, code);
      const terminate = await eventData(rig, callId, "terminate");
      assert.deepEqual(terminate.errorReasons, [
        `${code} ${CALL_ERRORS[code].title}: ${CALL_ERRORS[code].meaning} (client log 42)`,
      ]);
    }, { metaWebhooks: true }));
}

Deno.test("an SDP answer Meta refuses: code 100 with Meta's details recorded, caller rejected", () =>
  withRig(async (rig) => {
    rig.bridge.answerSdp = EXAMPLE_ANSWER_SDP.replace(
      "a=setup:active",
      "a=fingerprint:sha-1 AA:BB\r\na=setup:active",
    );
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.equal(result?.reason, "pre_accept_failed");
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "reject"]);
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.metaErrorCode, 100);
    const failed = await eventData(rig, callId, "failed");
    assert.equal(
      failed.metaErrorDetails,
      "SDP Validation error: expected exactly one a=fingerprint line, found 2",
    );
    assert.match(String(failed.metaError), /^100 Invalid Parameter: .*found 2\)$/);
    assert.match(String(failed.fbtraceId), /^A\w+/);
  }));
