/**
 * A terminate is never lost: whatever its `status` says (Meta writes
 * `COMPLETED` and `Completed`, and may add values) and wherever its errors
 * sit (Meta documents `value.errors[]`; the call object is read too), the
 * call's bridge session ends and the raw status and every error code are
 * recorded.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls
 */
import assert from "node:assert/strict";
import type { WebhookErrorPayload } from "../../simulator/meta_webhooks.ts";
import { newCallId, offerFor, terminateFor, type VoiceCallsRig, withRig } from "./harness.ts";

const TROUBLESHOOTING =
  "https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting";
const error = (code: number, message: string): WebhookErrorPayload => ({
  code,
  message,
  href: TROUBLESHOOTING,
});
const SETUP_FAILED = error(138019, "Call setup failed");
const RELAY_FAILED = error(138020, "Relay connection failed");
const MEDIA_TIMEOUT = error(138021, "Media receive timeout");

/** Answers a call, then delivers `terminate`; returns the call id. */
async function answeredThenTerminated(
  rig: VoiceCallsRig,
  terminate: Omit<Parameters<typeof terminateFor>[1], "callId">,
): Promise<string> {
  const callId = newCallId();
  assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "accepted");
  assert.deepEqual(await rig.send(terminateFor(callId, terminate)), [{
    callId,
    kind: "terminate",
    outcome: "ended",
  }]);
  return callId;
}

/** The call's bridge session was DELETEd because Meta ended the call. */
function assertSessionEnded(rig: VoiceCallsRig, callId: string): void {
  const [session] = rig.bridge.sessionsFor(callId);
  assert.equal(session?.state, "ended", callId);
  assert.equal(session?.endReason, "meta_terminate");
}

Deno.test("any terminate status, in any casing, ends the session and is recorded raw", () =>
  withRig(async (rig) => {
    const cases: [string, string][] = [
      ["COMPLETED", "completed"],
      ["Completed", "completed"],
      ["FAILED", "failed"],
      ["Failed", "failed"],
      ["NOT_ANSWERED", "completed"],
    ];
    for (const [raw, status] of cases) {
      const callId = await answeredThenTerminated(rig, { status: raw });
      assertSessionEnded(rig, callId);
      const call = await rig.store.getCall(callId);
      assert.equal(call?.status, status, raw);
      assert.equal(call?.metaStatus, raw);
      const event = (await rig.store.listEvents(callId)).find((e) => e.name === "terminate");
      assert.equal((event?.data as { metaStatus?: string }).metaStatus, raw);
    }
  }));

Deno.test("a status Meta never documented, carrying errors, ends the call as failed", () =>
  withRig(async (rig) => {
    const callId = await answeredThenTerminated(rig, {
      status: "DROPPED",
      errors: [MEDIA_TIMEOUT],
    });
    assertSessionEnded(rig, callId);
    const call = await rig.store.getCall(callId);
    assert.deepEqual([call?.status, call?.metaErrorCode], ["failed", 138021]);
  }));

Deno.test("errors on the call object instead of value: every code recorded, session ended", () =>
  withRig(async (rig) => {
    const callId = await answeredThenTerminated(rig, {
      status: "FAILED",
      callErrors: [SETUP_FAILED, RELAY_FAILED],
    });
    assertSessionEnded(rig, callId);
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.metaErrorCode, 138019);
    assert.deepEqual(call?.metaErrorCodes, [138019, 138020]);
  }));

Deno.test("errors on both the call object and value are all kept, call object first", () =>
  withRig(async (rig) => {
    const callId = await answeredThenTerminated(rig, {
      status: "Failed",
      callErrors: [SETUP_FAILED],
      errors: [RELAY_FAILED, MEDIA_TIMEOUT],
    });
    const call = await rig.store.getCall(callId);
    assert.deepEqual(call?.metaErrorCodes, [138019, 138020, 138021]);
    const event = (await rig.store.listEvents(callId)).find((e) => e.name === "terminate");
    const codes = (event?.data as { errors: { code: number }[] }).errors.map((e) => e.code);
    assert.deepEqual(codes, [138019, 138020, 138021]);
  }));

Deno.test("a FAILED terminate without errors still ends the call as failed", () =>
  withRig(async (rig) => {
    const callId = await answeredThenTerminated(rig, { status: "FAILED" });
    assertSessionEnded(rig, callId);
    const call = await rig.store.getCall(callId);
    assert.deepEqual([call?.status, call?.metaErrorCode, call?.metaErrorCodes], [
      "failed",
      null,
      [],
    ]);
  }));

Deno.test("Meta's codes are added to a call we had already failed, our verdict kept", () =>
  withRig(async (rig) => {
    rig.graph.failNext("accept", { status: 500, code: 138004, times: 10 });
    const callId = newCallId();
    assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "failed");
    await rig.send(terminateFor(callId, { status: "Failed", callErrors: [MEDIA_TIMEOUT] }));
    const call = await rig.store.getCall(callId);
    assert.deepEqual([call?.status, call?.metaErrorCode], ["failed", 138004]);
    assert.deepEqual([call?.metaStatus, call?.metaErrorCodes], ["Failed", [138021]]);
  }));

Deno.test("a terminate after the bridge hung up keeps the bridge's reason for ending the call", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "accepted");
    // The bridge records why it hung up, racing Meta's terminate webhook, which confirms it.
    await rig.store.upsertCall({ callId, endReason: "agent_failed: greeting failed 3 times" });
    await rig.send(terminateFor(callId, { status: "COMPLETED" }));
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "completed");
    assert.equal(call?.endReason, "agent_failed: greeting failed 3 times");
  }));
