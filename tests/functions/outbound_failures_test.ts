/**
 * `wa-outbound-calls` when a part fails (issue 17: "a retried request never
 * rings a customer twice"), over the real functions server and bridge, the
 * faults injected in the fakes, not mocked:
 *
 * - Graph never answers the `connect` (the fake's latency past the Graph
 *   client's 5 s timeout): 504 `meta_outcome_unknown`, the key replays it,
 *   Graph never sees the connect again, the phone rings once.
 * - The bridge cannot make the offer (at `MAX_SESSIONS`): 503
 *   `bridge_unavailable`, nothing reached Meta, and the same key, retried
 *   once the bridge has room, places the call.
 * - The bridge fails after Meta placed the call (it starts draining while
 *   Graph answers): 502 `bridge_failed`, the call terminated at Meta at once,
 *   nobody left ringing.
 * - Meta answers a 5xx after placing the call: treated as unknown (504), not
 *   as a refusal a client would retry under a new key.
 */
import assert from "node:assert/strict";
import { newCallee, type OutboundRig, outboundRig } from "./outbound_rig.ts";

const PURPOSE = { greeting: "Hello, this is Acme." };

/** Graph `connect` requests the fake Meta received for `user`, whatever it answered. */
const connectsTo = (rig: OutboundRig, user: string) =>
  rig.graph.requests.filter((r) =>
    r.action === "connect" && (r.body as { to?: string }).to === user
  );

/** The calls the user's phone got. */
const ringsOf = (rig: OutboundRig, user: string) =>
  [...rig.phone.calls.values()].filter((c) => c.user === user);

async function withRig(
  fn: (rig: OutboundRig) => Promise<void>,
  bridgeEnv: Record<string, string> = {},
): Promise<void> {
  const rig = await outboundRig({}, { env: bridgeEnv });
  try {
    await fn(rig);
  } finally {
    await rig.close();
  }
}

Deno.test("Graph never answers the connect: 504 meta_outcome_unknown, never sent again, one ring", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "none" });
    // Meta takes the call and its answer never comes back within the client's 5 s.
    rig.graph.setLatency("connect", 5600);
    const key = `unknown-${user}`;
    const first = await rig.place({ user, purpose: PURPOSE }, key);
    assert.equal(first.status, 504);
    assert.deepEqual(await first.json(), { error: "meta_outcome_unknown" });
    rig.graph.setLatency("connect", 0);

    const retry = await rig.place({ user, purpose: PURPOSE }, key);
    assert.equal(retry.status, 504, "the first answer replayed");
    assert.deepEqual(await retry.json(), { error: "meta_outcome_unknown" });
    assert.equal(connectsTo(rig, user).length, 1, "Graph saw the connect once");
    assert.equal(ringsOf(rig, user).length, 1, "the phone rang once");
  }));

Deno.test("the bridge cannot make the offer: 503 bridge_unavailable, nothing at Meta, the key retried succeeds", () =>
  withRig(async (rig) => {
    const busy = newCallee();
    const user = newCallee();
    await rig.grant(busy);
    await rig.grant(user);
    // The one session the bridge may hold is taken by a call that lasts ~1.5 s.
    rig.phone.script(busy, { answer: "accept", ringMs: 100, talkMs: 1500 });
    rig.phone.script(user, { answer: "reject", ringMs: 200 });
    const taken = await rig.place({ user: busy, purpose: PURPOSE });
    assert.equal(taken.status, 201);
    const busyId: string = (await taken.json()).call.id;

    const key = `full-${user}`;
    const refused = await rig.place({ user, purpose: PURPOSE }, key);
    assert.equal(refused.status, 503);
    assert.deepEqual(await refused.json(), { error: "bridge_unavailable" });
    assert.equal(connectsTo(rig, user).length, 0, "nothing reached Meta");
    assert.equal(ringsOf(rig, user).length, 0);

    await rig.callUntil(busyId, (c) => c.status === "completed");
    const until = Date.now() + 5000;
    while (rig.bridge.manager.list().length > 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const placed = await rig.place({ user, purpose: PURPOSE }, key);
    const body = await placed.json();
    assert.equal(placed.status, 201, JSON.stringify(body));
    await rig.callUntil(body.call.id, (c) => c.status === "rejected");
    assert.equal(connectsTo(rig, user).length, 1);
    assert.equal(ringsOf(rig, user).length, 1, "one ring, from the retry");
  }, { MAX_SESSIONS: "1" }));

Deno.test("the bridge fails after Meta placed the call: 502 bridge_failed, terminated at once, nobody ringing", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    // The user would let it ring for ever: only our terminate can end it.
    rig.phone.script(user, { answer: "none" });
    rig.graph.setLatency("connect", 1000);
    const key = `drained-${user}`;
    const placing = rig.place({ user, purpose: PURPOSE }, key);
    // While Graph answers, the bridge starts draining (a deploy): the offer can no longer be a session.
    const until = Date.now() + 5000;
    while (connectsTo(rig, user).length === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 10));
    }
    void rig.bridge.manager.drain(100);
    const res = await placing;
    const body = await res.json();
    assert.equal(res.status, 502, JSON.stringify(body));
    assert.equal(body.error, "bridge_failed");
    const callId: string = body.call_id;
    assert.ok(callId, "Meta's call id is named");

    assert.deepEqual(rig.graph.actionsFor(callId), ["terminate"], "terminated at Meta");
    const phoneCall = rig.phone.calls.get(callId);
    assert.ok(phoneCall, "the phone did ring");
    const endedAt = await Promise.race([
      phoneCall.ended.then(() => performance.now()),
      new Promise<null>((r) => setTimeout(() => r(null), 3000)),
    ]);
    assert.ok(endedAt !== null, "the ring stopped");
    assert.ok(endedAt - phoneCall.placedAt < 3000, `rang ${endedAt - phoneCall.placedAt} ms`);

    const call = await rig.callUntil(callId, (c) => c.status === "failed");
    assert.equal(call.endReason, "bridge_failed");
    assert.equal(call.direction, "business_initiated");
    const retry = await rig.place({ user, purpose: PURPOSE }, key);
    assert.equal(retry.status, 502, "replayed");
    assert.equal(connectsTo(rig, user).length, 1, "never placed again");
  }));

Deno.test("Meta answers 5xx after placing the call: 504 meta_outcome_unknown, never meta_refused, one ring", () =>
  withRig(async (rig) => {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "none" });
    // Meta applied the connect (the phone rings) and its answer was a 500.
    rig.graph.failNext("connect", { status: 500, code: 131000, applied: true });
    const key = `applied-${user}`;
    const first = await rig.place({ user, purpose: PURPOSE }, key);
    const body = await first.json();
    assert.equal(first.status, 504, JSON.stringify(body));
    assert.deepEqual(body, { error: "meta_outcome_unknown" });
    const retry = await rig.place({ user, purpose: PURPOSE }, key);
    assert.equal(retry.status, 504, "the first answer replayed");
    await retry.body?.cancel();
    assert.equal(connectsTo(rig, user).length, 1, "Graph saw the connect once");
    assert.equal(ringsOf(rig, user).length, 1, "the phone rang once");
  }));
