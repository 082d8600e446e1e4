import assert from "node:assert/strict";
import {
  callStatus,
  connectAnswer,
  MEDIA_RECEIVE_TIMEOUT_ERROR,
} from "../../simulator/meta_webhooks.ts";
import { EXAMPLE_ANSWER_SDP } from "../../simulator/meta_graph.ts";
import {
  closedPort,
  newCallId,
  nowSec,
  offerFor,
  sharedStore,
  terminateFor,
  TEST_ENV,
  voiceCallsRig,
  webhookFixture as fixture,
  withRig,
} from "./harness.ts";
import { createVoiceCallsHandler } from "../../supabase/functions/wa-webhook-voice-calls/index.ts";

Deno.test("reference connect: bridge answer is pre_accepted then accepted, call recorded", async () => {
  const callId = newCallId();
  const payload = await fixture("connect.json", callId);
  const fixtureTs = 1671644824_000;
  const rig = await voiceCallsRig({ now: () => fixtureTs + 1500 });
  try {
    const results = await rig.send(payload);
    assert.deepEqual(results, [{ callId, kind: "connect_offer", outcome: "accepted" }]);
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
    const [pre, acc] = rig.graph.requests.filter((r) => r.callId === callId);
    const sdpOf = (b: unknown) => (b as { session: { sdp: string } }).session.sdp;
    assert.equal(sdpOf(pre!.body), EXAMPLE_ANSWER_SDP);
    assert.equal(sdpOf(acc!.body), EXAMPLE_ANSWER_SDP);
    assert.equal(rig.graph.call(callId)?.state, "accepted");

    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "accepted");
    const created = rig.bridge.requestsTo("POST", "/sessions")[0]!;
    assert.equal(created.authorized, true);
    assert.deepEqual(
      { ...(created.body as Record<string, unknown>), sdp: "…" },
      {
        callId,
        phoneNumberId: "106540352242922",
        from: "16315553602",
        to: "16315553601",
        sdp: "…",
        caller: { name: "Pablo Morales" },
      },
    );

    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "accepted");
    assert.equal(call?.direction, "user_initiated");
    assert.equal(call?.fromNumber, "16315553602");
    assert.equal(call?.toNumber, "16315553601");
    assert.equal(call?.phoneNumberId, "106540352242922");
    assert.equal(call?.bridgeSessionId, session?.sessionId);
    assert.equal(call?.offeredAt?.getTime(), fixtureTs + 1500);
    assert.ok(call?.preAcceptedAt && call.acceptedAt);
    const events = (await rig.store.listEvents(callId)).map((e) => e.name);
    assert.deepEqual(events.sort(), ["accepted", "connect"]);
  } finally {
    await rig.close();
  }
});

Deno.test("duplicate connect: one bridge session, one pre_accept", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const offer = offerFor(callId);
    assert.equal((await rig.send(offer))[0]?.outcome, "accepted");
    assert.deepEqual(await rig.send(offer), [{
      callId,
      kind: "connect_offer",
      outcome: "duplicate",
    }]);
    assert.equal(rig.bridge.sessionsFor(callId).length, 1);
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
  }));

Deno.test("concurrent duplicate connects (Promise.all): exactly one is answered", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const offer = offerFor(callId);
    const outcomes = (await Promise.all([1, 2, 3, 4].map(() => rig.send(offer))))
      .map((r) => r[0]?.outcome).sort();
    assert.deepEqual(outcomes, ["accepted", "duplicate", "duplicate", "duplicate"]);
    assert.equal(rig.bridge.sessionsFor(callId).length, 1);
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
  }));

Deno.test("terminate before connect: call recorded ended, the late connect is not answered", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    assert.deepEqual(await rig.send(terminateFor(callId)), [{
      callId,
      kind: "terminate",
      outcome: "ended",
    }]);
    const ended = await rig.store.getCall(callId);
    assert.equal(ended?.status, "completed");
    assert.equal(ended?.endReason, "terminate_before_connect");

    assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "after_terminate");
    assert.deepEqual(rig.graph.actionsFor(callId), []);
    assert.equal(rig.bridge.requests.length, 0);
    assert.equal((await rig.store.getCall(callId))?.status, "completed");
    const events = (await rig.store.listEvents(callId)).map((e) => e.name);
    assert.ok(events.includes("connect_after_terminate"));
  }));

Deno.test("bridge down (connection refused): Graph reject within 2 s, reason recorded", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const started = Date.now();
    const [result] = await rig.send(offerFor(callId));
    assert.deepEqual(result, {
      callId,
      kind: "connect_offer",
      outcome: "rejected",
      reason: "bridge_unreachable",
    });
    const reject = await rig.graph.waitFor("reject", callId);
    assert.ok(reject.time - started < 2000, `reject after ${reject.time - started} ms`);
    assert.deepEqual(rig.graph.actionsFor(callId), ["reject"]);
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "rejected");
    assert.equal(call?.endReason, "bridge_unreachable");
  }, { bridgeUrl: `http://127.0.0.1:${closedPort()}` }));

Deno.test("bridge at capacity (503): Graph reject", () =>
  withRig(async (rig) => {
    rig.bridge.createFault = {
      kind: "status",
      status: 503,
      body: { error: "at capacity", reason: "max_calls" },
    };
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.equal(result?.reason, "bridge_capacity");
    assert.deepEqual(rig.graph.actionsFor(callId), ["reject"]);
    assert.equal(rig.graph.call(callId)?.state, "rejected");
    assert.equal((await rig.store.getCall(callId))?.endReason, "bridge_capacity");
  }));

Deno.test("bridge too slow: its 1.5 s deadline leaves the reject inside 2 s", () =>
  withRig(async (rig) => {
    rig.bridge.createFault = { kind: "delay", ms: 1800 };
    const callId = newCallId();
    const started = Date.now();
    const [result] = await rig.send(offerFor(callId));
    assert.equal(result?.reason, "bridge_timeout");
    const reject = await rig.graph.waitFor("reject", callId);
    assert.ok(reject.time - started < 2000, `reject after ${reject.time - started} ms`);
  }));

Deno.test("bridge answering badly: 201 without an SDP, or an offer it refuses → reject", () =>
  withRig(async (rig) => {
    rig.bridge.createFault = { kind: "bad_answer", body: { sessionId: "s1" } };
    const bad = newCallId();
    assert.equal((await rig.send(offerFor(bad)))[0]?.reason, "bridge_bad_response");
    rig.bridge.createFault = {
      kind: "status",
      status: 400,
      body: { error: "unusable offer", reasons: ["no opus"] },
    };
    const refused = newCallId();
    assert.equal((await rig.send(offerFor(refused)))[0]?.reason, "bridge_offer_rejected");
    assert.deepEqual(rig.graph.actionsFor(bad), ["reject"]);
    assert.deepEqual(rig.graph.actionsFor(refused), ["reject"]);
  }));

Deno.test("pre_accept refused by Meta (SDP validation): reject, session closed, failed with code", () =>
  withRig(async (rig) => {
    rig.graph.failNext("pre_accept", {
      status: 400,
      code: 100,
      message: "(#100) Invalid parameter",
      details: "SDP Validation error: expected exactly one a=fingerprint line, found 2",
    });
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.deepEqual(result, {
      callId,
      kind: "connect_offer",
      outcome: "failed",
      reason: "pre_accept_failed",
    });
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "reject"]);
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.metaErrorCode, 100);
  }));

Deno.test("Graph 5xx on accept: bounded retry, then terminate + bridge DELETE, failed with code", () =>
  withRig(async (rig) => {
    rig.graph.failNext("accept", { status: 500, code: 138004, times: 10 });
    const callId = newCallId();
    const [result] = await rig.send(offerFor(callId));
    assert.deepEqual(result, {
      callId,
      kind: "connect_offer",
      outcome: "failed",
      reason: "accept_failed",
    });
    // The Graph client's default: one attempt plus two retries.
    assert.deepEqual(rig.graph.actionsFor(callId), [
      "pre_accept",
      "accept",
      "accept",
      "accept",
      "terminate",
    ]);
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "ended");
    assert.equal(session?.endReason, "accept_failed");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.metaErrorCode, 138004);
    assert.equal(call?.endReason, "accept_failed");

    // Meta's terminate webhook that follows does not overwrite the verdict.
    await rig.send(terminateFor(callId));
    const after = await rig.store.getCall(callId);
    assert.equal(after?.status, "failed");
    assert.equal(after?.metaErrorCode, 138004);
  }));

Deno.test("terminate of an accepted call: completed with times and duration, bridge session ended", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    await rig.send(offerFor(callId));
    const start = nowSec();
    const [result] = await rig.send(
      terminateFor(callId, {
        status: "Completed",
        startTime: start,
        endTime: start + 120,
        duration: 120,
      }),
    );
    assert.equal(result?.outcome, "ended");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "completed");
    assert.equal(call?.durationSeconds, 120);
    assert.equal(call?.endedAt?.getTime(), (start + 120) * 1000);
    assert.equal(call?.endReason, "meta_completed");
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "ended");
    assert.equal(session?.endReason, "meta_terminate");
    assert.equal(rig.bridge.requestsTo("DELETE", `/sessions/${session?.sessionId}`).length, 1);

    assert.equal((await rig.send(terminateFor(callId)))[0]?.outcome, "duplicate");
    assert.equal(rig.bridge.requestsTo("DELETE", "/sessions/").length, 1);
  }));

Deno.test("reference terminate with errors[138021]: failed with meta_error_code", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    await rig.send(offerFor(callId));
    const payload = await fixture("terminate_failed.json", callId);
    assert.equal((await rig.send(payload))[0]?.outcome, "ended");
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.metaErrorCode, MEDIA_RECEIVE_TIMEOUT_ERROR.code);
    const terminate = (await rig.store.listEvents(callId)).find((e) => e.name === "terminate");
    assert.equal((terminate?.data as { status: string }).status, "FAILED");
  }));

Deno.test("race: terminate while the bridge is answering → no pre_accept/accept, session DELETEd", () =>
  withRig(async (rig) => {
    rig.bridge.createFault = { kind: "delay", ms: 300 };
    const callId = newCallId();
    const connect = rig.send(offerFor(callId));
    await new Promise((r) => setTimeout(r, 100));
    await rig.send(terminateFor(callId));
    const [result] = await connect;
    assert.equal(result?.outcome, "ended_during_setup");
    assert.deepEqual(rig.graph.actionsFor(callId), []);
    assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
    assert.equal((await rig.store.getCall(callId))?.status, "completed");
  }));

Deno.test("race: terminate between pre_accept and accept → accept skipped, session DELETEd", () =>
  withRig(async (rig) => {
    rig.graph.setLatency("pre_accept", 300);
    const callId = newCallId();
    const connect = rig.send(offerFor(callId));
    await rig.graph.waitFor("pre_accept", callId);
    await rig.send(terminateFor(callId));
    const [result] = await connect;
    assert.equal(result?.outcome, "ended_during_setup");
    assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept"]);
    const [session] = rig.bridge.sessionsFor(callId);
    assert.equal(session?.state, "ended");
    assert.equal((await rig.store.getCall(callId))?.status, "completed");
  }));

Deno.test("stale connect (older than 60 s) is recorded, not answered", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "stale");
    assert.deepEqual(rig.graph.actionsFor(callId), []);
    assert.equal(rig.bridge.requests.length, 0);
    const call = await rig.store.getCall(callId);
    assert.equal(call?.status, "failed");
    assert.equal(call?.endReason, "connect_stale");
    assert.ok((await rig.store.listEvents(callId)).some((e) => e.name === "connect_stale"));
  }, { now: () => Date.now() + 61_000 }));

Deno.test("a status for a call the bridge holds is passed to its session", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    await rig.store.upsertCall({ callId, status: "accepted", bridgeSessionId: "sess-held" });
    rig.bridge.sessions.set("sess-held", { sessionId: "sess-held", callId, state: "accepted" });
    const accepted = callStatus({
      callId,
      user: "16315553602",
      timestamp: nowSec(),
      status: "ACCEPTED",
    });
    assert.equal((await rig.send(accepted))[0]?.outcome, "recorded");
    const notes = rig.bridge.requestsTo("POST", "/sessions/sess-held/events");
    assert.equal(notes.length, 1);
    assert.deepEqual(notes[0]!.body, { kind: "status", status: "ACCEPTED" });
    await rig.send(accepted);
    assert.equal(
      rig.bridge.requestsTo("POST", "/sessions/sess-held/events").length,
      1,
      "duplicates are not passed on",
    );
  }));

Deno.test("statuses[] and business-initiated connect answers are recorded once", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    const ringing = callStatus({
      callId,
      user: "16315553602",
      timestamp: nowSec(),
      status: "RINGING",
    });
    assert.equal((await rig.send(ringing))[0]?.outcome, "recorded");
    assert.equal((await rig.send(ringing))[0]?.outcome, "duplicate");
    const answer = connectAnswer({
      callId,
      user: "16315553602",
      timestamp: nowSec(),
      sdp: EXAMPLE_ANSWER_SDP,
    });
    assert.deepEqual(await rig.send(answer), [{
      callId,
      kind: "connect_answer",
      outcome: "recorded",
    }]);
    const names = (await rig.store.listEvents(callId)).map((e) => e.name).sort();
    assert.deepEqual(names, ["connect_answer", "status_ringing"]);
    assert.equal(rig.graph.requests.length, 0);
    assert.equal(rig.bridge.requests.length, 0);
  }));

Deno.test("callers without the service role key get 401 and nothing happens", () =>
  withRig(async (rig) => {
    const callId = newCallId();
    for (
      const auth of [null, "Bearer wrong", `Basic ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}`, "Bearer "]
    ) {
      const res = await rig.post(offerFor(callId), auth);
      assert.equal(res.status, 401, String(auth));
      await res.body?.cancel();
    }
    assert.equal(await rig.store.getCall(callId), null);
    assert.equal(rig.bridge.requests.length, 0);
  }));

Deno.test("malformed bodies are 400; missing variables are 500 naming them, not their values", async () => {
  const rig = await voiceCallsRig();
  try {
    const res = await rig.post({ object: "whatsapp_business_account", entry: [{ id: 1 }] });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error, "invalid body");
    assert.ok(body.issues.some((i: string) => i.startsWith("entry.0.id:")), body.issues.join("; "));
  } finally {
    await rig.close();
  }
  const store = await sharedStore();
  const handler = createVoiceCallsHandler({
    env: {
      SUPABASE_SERVICE_ROLE_KEY: TEST_ENV.SUPABASE_SERVICE_ROLE_KEY,
      VOICE_BRIDGE_SECRET: "s3cr3t-bridge",
    },
    store: () => Promise.resolve(store),
  });
  const res = await handler(
    new Request("http://localhost/", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}` },
      body: "{}",
    }),
  );
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.match(text, /WHATSAPP_ACCESS_TOKEN: missing/);
  assert.match(text, /VOICE_BRIDGE_URL: missing/);
  assert.doesNotMatch(text, /s3cr3t-bridge|test-service-role-key/);
});
