/**
 * Callers as Meta names them since WhatsApp usernames: by number, by
 * business-scoped user id (BSUID), or by neither. Every call is keyed on its
 * call id and answered; the caller's identity and context reach the bridge
 * (never the number as context) and the call record.
 */
import assert from "node:assert/strict";
import { callStatus, connectAnswer, connectOffer } from "../../simulator/meta_webhooks.ts";
import { EXAMPLE_ANSWER_SDP } from "../../simulator/meta_graph.ts";
import {
  newCallId,
  nowSec,
  OFFER_SDP,
  USERNAME_CALLER,
  usernameOfferFor,
  type VoiceCallsRig,
  voiceCallsRig,
  webhookFixture as fixture,
  withRig,
} from "./harness.ts";

const FIXTURE_TS_MS = 1671644824_000;
const BSUID = USERNAME_CALLER.userId;

/** The body the function sent with `POST /sessions` for `callId`. */
function sessionRequest(rig: VoiceCallsRig, callId: string): Record<string, unknown> {
  const req = rig.bridge.requestsTo("POST", "/sessions")
    .find((r) => (r.body as { callId?: string }).callId === callId);
  assert.ok(req, `no POST /sessions for ${callId}`);
  return req.body as Record<string, unknown>;
}

Deno.test("a username caller without a number (Meta's shape) is answered and recorded by user id", async () => {
  const callId = newCallId();
  const rig = await voiceCallsRig({ now: () => FIXTURE_TS_MS + 1500 });
  try {
    const connect = await fixture("connect_username.json", callId);
    assert.deepEqual(await rig.send(connect), [{
      callId,
      kind: "connect_offer",
      outcome: "accepted",
    }]);
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
    const body = sessionRequest(rig, callId);
    assert.equal("from" in body, false, "no number invented for the bridge");
    assert.equal(body.to, "16315553601");
    assert.deepEqual(body.caller, {
      userId: BSUID,
      username: "pablo.m",
      name: "Pablo Morales",
      ctaPayload: "support-button",
      deeplinkPayload: "order-42",
    });

    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "accepted");
    assert.equal(call?.fromNumber, null);
    assert.equal(call?.fromUserId, BSUID);
    assert.deepEqual(
      [call?.username, call?.profileName, call?.ctaPayload, call?.deeplinkPayload],
      ["pablo.m", "Pablo Morales", "support-button", "order-42"],
    );
    const connectEvent = (await rig.store.listEvents(callId)).find((e) => e.name === "connect");
    assert.equal((connectEvent?.data as { fromUserId?: string }).fromUserId, BSUID);

    assert.equal((await rig.send(connect))[0]?.outcome, "duplicate", "deduped on the call id");
    assert.equal(rig.bridge.sessionsFor(callId).length, 1);

    const ended = await fixture("terminate_username.json", callId);
    assert.equal((await rig.send(ended))[0]?.outcome, "ended");
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
    const after = await rig.store.getCall(callId);
    assert.equal(after?.status, "completed");
    assert.equal(after?.durationSeconds, 120);
  } finally {
    await rig.close();
  }
});

Deno.test("a caller named by neither number nor user id is still answered", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const anonymous = connectOffer({ callId, timestamp: nowSec(), sdp: OFFER_SDP });
    assert.equal((await rig.send(anonymous))[0]?.outcome, "accepted");
    const body = sessionRequest(rig, callId);
    assert.equal("from" in body, false);
    assert.deepEqual(body.caller, { name: "WhatsApp User" });
    const call = await rig.store.getCall(callId);
    assert.deepEqual([call?.fromNumber, call?.fromUserId], [null, null]);
  }));

Deno.test("a terminate for a username caller that beats its connect keeps the user id", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const ended = await fixture("terminate_username.json", callId);
    assert.equal((await rig.send(ended))[0]?.outcome, "ended");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.endReason, "terminate_before_connect");
    assert.deepEqual([call?.fromNumber, call?.fromUserId], [null, BSUID]);
    assert.equal((await rig.send(usernameOfferFor(callId)))[0]?.outcome, "after_terminate");
  }));

Deno.test("the caller's button, link and name travel with the session; the number stays out of it", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const offer = connectOffer({
      callId,
      user: "16315553602",
      userId: BSUID,
      callerName: "Pablo Morales",
      timestamp: nowSec(),
      sdp: OFFER_SDP,
      ctaPayload: "billing",
      deeplinkPayload: "campaign-9",
      bizOpaqueCallbackData: "ticket-7",
    });
    assert.equal((await rig.send(offer))[0]?.outcome, "accepted");
    const body = sessionRequest(rig, callId);
    assert.equal(body.from, "16315553602");
    assert.deepEqual(body.caller, {
      userId: BSUID,
      name: "Pablo Morales",
      ctaPayload: "billing",
      deeplinkPayload: "campaign-9",
      bizOpaqueCallbackData: "ticket-7",
    });
    assert.doesNotMatch(JSON.stringify(body.caller), /16315553602/);
    const call = await rig.store.getCall(callId);
    assert.deepEqual(
      [call?.fromNumber, call?.ctaPayload, call?.deeplinkPayload, call?.bizOpaqueCallbackData],
      ["16315553602", "billing", "campaign-9", "ticket-7"],
    );
  }));

Deno.test("an oversized payload never costs the call: the bridge cuts it, the record keeps it", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const long = "x".repeat(4000);
    const offer = usernameOfferFor(callId, { deeplinkPayload: long });
    assert.equal((await rig.send(offer))[0]?.outcome, "accepted");
    assert.equal((await rig.store.getCall(callId))?.deeplinkPayload, long);
  }));

Deno.test("business-initiated connect and status for a username callee are recorded by user id", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const callee = { userId: USERNAME_CALLER.userId, timestamp: nowSec() };
    const ringing = callStatus({ callId, ...callee, status: "RINGING" });
    assert.equal((await rig.send(ringing))[0]?.outcome, "recorded");
    const answer = connectAnswer({ callId, ...callee, sdp: EXAMPLE_ANSWER_SDP });
    assert.equal((await rig.send(answer))[0]?.outcome, "recorded");
    const events = await rig.store.listEvents(callId);
    const data = (name: string) => events.find((e) => e.name === name)?.data;
    assert.deepEqual(data("status_ringing"), {
      status: "RINGING",
      recipientId: null,
      recipientUserId: BSUID,
    });
    assert.equal((data("connect_answer") as { toUserId?: string }).toUserId, BSUID);
  }));
