/**
 * Business-initiated calls end to end (issue 17): `wa-outbound-calls` over
 * the real functions server, the real bridge as the offerer, the fake Meta
 * playing the user's phone (`simulator/user_phone.ts`).
 */
import assert from "node:assert/strict";
import { goertzelPower, sine } from "../../lib/audio/tone.ts";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import { settleCallFigures } from "../../bridge/figures/settle.ts";
import { newCallee, type OutboundRig, outboundRig } from "./outbound_rig.ts";

const PURPOSE = {
  instructions: "You call {{name}} to confirm the appointment at {{appointment_time}}.",
  greeting: "Hello {{name}}, this is Acme about your {{appointment_time}} appointment.",
  variables: { name: "Ana", appointment_time: "10:30" },
};

/** The user's voice: a 300 Hz tone, 20 ms a frame at 24 kHz. */
const userVoice = () => sine(300, 24000, 480, 6000);

async function withRig(
  fn: (rig: OutboundRig) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const rig = await outboundRig(env);
  try {
    await fn(rig);
  } finally {
    await rig.close();
  }
}

/** Power share of `hz` in `pcm` against a few other tones (24 kHz). */
function hears(pcm: Int16Array, hz: number): boolean {
  const target = goertzelPower(pcm, 24000, hz);
  return [300, 440, 1000].filter((f) => f !== hz).every((f) =>
    target > 4 * goertzelPower(pcm, 24000, f)
  );
}

async function sessionEnded(rig: OutboundRig, callId: string) {
  const until = Date.now() + 10_000;
  for (;;) {
    const ended = (await rig.store.listEvents(callId)).find((e) =>
      e.name === "bridge_session_ended"
    );
    if (ended) {
      return ended.data as {
        reason: string;
        stats: { packetsReceived: number; packetsSent: number; framesToAgent: number };
      };
    }
    if (Date.now() > until) throw new Error("the bridge session never ended");
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("answered: the agent speaks first with the purpose filled in, audio flows both ways", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "accept", ringMs: 400, talkMs: 2500, voice: userVoice });
    const res = await rig.place({ user, purpose: PURPOSE });
    const body = await res.json();
    assert.equal(res.status, 201, JSON.stringify(body));
    const callId: string = body.call.id;
    assert.equal(body.call.status, "ringing");
    const call = await rig.callUntil(
      callId,
      (c) => c.status === "ringing" || c.status === "accepted",
    );
    assert.equal(call.direction, "business_initiated");
    assert.equal(call.toNumber, user);

    const phoneCall = await rig.phone.waitForCall(callId);
    await phoneCall.ended;
    const done = await rig.callUntil(callId, (c) => c.status === "completed");
    assert.ok(done.acceptedAt, "accepted_at starts Meta's billed duration");
    assert.ok((done.durationSeconds ?? 0) >= 2, `duration ${done.durationSeconds}`);

    // The agent spoke first, with the variables substituted.
    assert.deepEqual(rig.spoken, ["Hello Ana, this is Acme about your 10:30 appointment."]);
    const callee = phoneCall.callee!;
    const events = phoneCall.timeline.map((e) => e.event);
    assert.ok(events.indexOf("first_business_audio") > events.indexOf("accepted"), events.join());
    assert.ok(hears(concatPcm(callee.heard.slice(0, 25)), 523.25), "the greeting came first");
    // Both ways: the phone heard ≥ 1 s of the agent; the bridge took the user's frames.
    assert.ok(callee.heard.length >= 50, `phone heard ${callee.heard.length} frames`);
    const ended = await sessionEnded(rig, callId);
    assert.ok(ended.stats.packetsReceived >= 40, `bridge got ${ended.stats.packetsReceived}`);
    assert.ok(ended.stats.framesToAgent >= 40, `agent got ${ended.stats.framesToAgent}`);

    // Costed as a business-initiated call: Meta's 6-second pulses at the callee's rate (+44).
    const { cost, latency } = await settleCallFigures(rig.store, callId, {
      metaPricing: { perMinuteUsd: { "44": 0.06 }, otherPerMinuteUsd: 0 },
    });
    const seconds = (done.endedAt!.getTime() - done.acceptedAt!.getTime()) / 1000;
    assert.equal(cost.meta.direction, "business_initiated");
    assert.equal(cost.meta.countryCode, "44");
    assert.equal(cost.meta.pulses, Math.ceil(seconds / 6));
    assert.ok(cost.meta.usd > 0);
    assert.ok(latency.acceptToFirstAudioMs !== null, "accept → first agent audio measured");

    // The API shows it; the permission counts it connected.
    const read = await (await rig.read(callId)).json();
    assert.equal(read.call.status, "completed");
    const kinds = (await rig.store.listCallPermissionEvents({
      phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      user,
    })).map((e) => e.kind);
    assert.ok(kinds.includes("call_placed") && kinds.includes("call_connected"), kinds.join());
  }));

/** Graph `connect` requests the fake Meta answered 200 for `user`. */
const connectsTo = (rig: OutboundRig, user: string) =>
  rig.graph.requests.filter((r) =>
    r.action === "connect" && (r.body as { to?: string }).to === user && r.status === 200
  );

Deno.test("rejected: the user declines, the call ends `rejected`, Meta is not asked to terminate", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "reject", ringMs: 300 });
    const res = await rig.place({ user, purpose: PURPOSE });
    assert.equal(res.status, 201);
    const callId: string = (await res.json()).call.id;
    const call = await rig.callUntil(callId, (c) => c.status === "rejected");
    assert.equal(call.endReason, "rejected");
    assert.equal(call.acceptedAt, null);
    // Meta's REJECTED and its terminate may be handled in either order, as on Meta.
    const ended = await sessionEnded(rig, callId);
    assert.ok(["rejected", "meta_terminate"].includes(ended.reason), ended.reason);
    assert.deepEqual(rig.graph.actionsFor(callId), [], "no terminate for a call Meta ended");
    assert.deepEqual(rig.spoken.length <= 1, true);
    const kinds = (await rig.store.listCallPermissionEvents({
      phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
      user,
    })).map((e) => e.kind);
    assert.ok(kinds.includes("call_unanswered") && !kinds.includes("call_connected"));
  }));

Deno.test("not answered: at WA_OUTBOUND_RING_TIMEOUT_S the call is terminated at Meta, `no_answer`", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "none" });
    const started = Date.now();
    const res = await rig.place({ user });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.equal(body.ring_timeout_s, 5);
    const callId: string = body.call.id;
    const call = await rig.callUntil(callId, (c) => c.endReason === "no_answer", 12_000);
    const waited = Date.now() - started;
    assert.ok(waited >= 4_800 && waited < 9_000, `ended after ${waited} ms`);
    assert.equal(call.status, "failed");
    assert.deepEqual(rig.graph.actionsFor(callId), ["terminate"]);
    assert.equal(rig.graph.call(callId)?.state, "terminated");
    await (await rig.phone.waitForCall(callId)).ended;
    const read = await (await rig.read(callId)).json();
    assert.equal(read.call.end_reason, "no_answer");
  }, { WA_OUTBOUND_RING_TIMEOUT_S: "5" }));

Deno.test("no permission: refused with 138006's reason before Graph is called", () =>
  withRig(async (rig) => {
    const user = newCallee();
    const res = await rig.place({ user });
    assert.equal(res.status, 409);
    const body = await res.json();
    assert.equal(body.error, "no_permission");
    assert.equal(body.meta_code, 138006);
    assert.equal(connectsTo(rig, user).length, 0);
    assert.equal(rig.graph.requests.filter((r) => r.action === "connect").length, 0);
  }));

Deno.test("idempotent: a retried request replays the first answer and rings the user once", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "reject", ringMs: 200 });
    const key = `call-${crypto.randomUUID()}`;
    const first = await rig.place({ user, purpose: PURPOSE }, key);
    const firstBody = await first.json();
    assert.equal(first.status, 201);
    const again = await rig.place({ user, purpose: PURPOSE }, key);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await again.json(), firstBody);
    const other = await rig.place({ user, purpose: { greeting: "other" } }, key);
    assert.equal(other.status, 422);
    await other.body?.cancel();
    assert.equal(connectsTo(rig, user).length, 1, "Graph connect sent once");
    assert.equal(rig.phone.calls.size, 1, "the phone rang once");
    await rig.callUntil(firstBody.call.id, (c) => c.status === "rejected");
  }));

Deno.test("a bad SDP answer from Meta: that call ends with a clear reason, another call is unharmed", () =>
  withRig(async (rig) => {
    const bad = newCallee();
    const good = newCallee();
    await rig.grant(bad);
    await rig.grant(good);
    rig.phone.script(bad, {
      answer: "accept",
      ringMs: 1500,
      // Meta's answer without its fingerprint: DTLS could never be verified.
      mangleAnswer: (sdp) => sdp.replace(/a=fingerprint:[^\r\n]*\r\n/g, ""),
    });
    rig.phone.script(good, { answer: "accept", ringMs: 400, talkMs: 2000, voice: userVoice });
    const [badRes, goodRes] = await Promise.all([
      rig.place({ user: bad }),
      rig.place({ user: good, purpose: PURPOSE }),
    ]);
    const badId: string = (await badRes.json()).call.id;
    const goodId: string = (await goodRes.json()).call.id;
    const badCall = await rig.callUntil(badId, (c) => c.endReason === "meta_answer_invalid");
    assert.equal(badCall.status, "failed");
    assert.deepEqual(rig.graph.actionsFor(badId), ["terminate"]);
    const reasons = (await rig.store.listEvents(badId)).find((e) =>
      e.name === "meta_answer_invalid"
    )?.data as { reasons: string[] } | undefined;
    assert.match(reasons?.reasons.join() ?? "", /fingerprint/);
    const goodPhone = await rig.phone.waitForCall(goodId);
    await goodPhone.ended;
    const goodCall = await rig.callUntil(goodId, (c) => c.status === "completed");
    assert.ok(goodCall.acceptedAt);
    assert.ok(goodPhone.callee!.heard.length >= 40, "the other call carried audio");
  }));

Deno.test("Meta refuses the connect: 502 with Meta's code, nothing rings, the answer replayed", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.graph.failNext("connect", { status: 400, code: 138013, details: "not available" });
    const key = `refused-${crypto.randomUUID()}`;
    const res = await rig.place({ user }, key);
    const body = await res.json();
    assert.equal(res.status, 502);
    assert.equal(body.error, "meta_refused");
    assert.equal(body.meta_code, 138013);
    assert.equal(rig.phone.calls.size, 0, "nothing rang");
    const again = await rig.place({ user }, key);
    assert.equal(again.status, 502);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    await again.body?.cancel();
    assert.equal(rig.graph.requests.filter((r) => r.action === "connect").length, 1);
  }));
