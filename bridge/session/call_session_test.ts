import assert from "node:assert/strict";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { CallSession, OfferRejectedError, type SessionDeps } from "./call_session.ts";
import { FakeAgent, FakePeer } from "../../tests/support/session_fakes.ts";

import { META_OFFER } from "../../tests/support/session_fakes.ts";

async function setup(overrides: Partial<SessionDeps> = {}) {
  const scheduler = new ManualScheduler();
  const peer = new FakePeer(scheduler);
  const agent = new FakeAgent();
  const terminated: string[] = [];
  const session = await CallSession.create(
    {
      callId: "wacid.s1",
      phoneNumberId: "123",
      from: "16315553602",
      to: "16315553601",
      sdp: META_OFFER,
    },
    {
      createPeer: () => Promise.resolve(peer),
      createAgent: () => agent,
      terminator: { terminate: (_p, callId) => Promise.resolve(terminated.push(callId)) },
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
      ...overrides,
    },
  );
  const ended = new Promise<CallSession>((r) => session.onEnded(r));
  return { scheduler, peer, agent, session, terminated, ended };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("CallSession rejects an unusable offer with the validator's reasons", async () => {
  await assert.rejects(
    () =>
      CallSession.create(
        { callId: "c", phoneNumberId: "p", from: "1", to: "2", sdp: "v=0\r\n" },
        {} as SessionDeps,
      ),
    (e: OfferRejectedError) => e instanceof OfferRejectedError && e.reasons.length > 0,
  );
});

Deno.test("CallSession sends nothing before accept, then the first packet at once and every 20 ms", async () => {
  const { scheduler, peer, agent, session } = await setup();
  peer.connect();
  scheduler.advance(1000);
  assert.equal(peer.sent.length, 0, "no media before accept");
  session.accept();
  await tick();
  assert.equal(session.state, "active");
  assert.equal(peer.sent.length, 1, "first packet right after accept");
  assert.equal(peer.sent[0]!.marker, true);
  assert.deepEqual(agent.calls, ["accepted"]);
  scheduler.advance(1000);
  assert.equal(peer.sent.length, 51);
  for (let i = 1; i < peer.sent.length; i++) {
    assert.equal(peer.sent[i]!.seq, (peer.sent[i - 1]!.seq + 1) & 0xffff);
    assert.equal(peer.sent[i]!.ts, (peer.sent[i - 1]!.ts + 960) >>> 0);
    assert.equal(peer.sent[i]!.marker, false);
  }
  await session.end("hangup", false);
});

Deno.test("CallSession waits for ICE/DTLS after an early accept", async () => {
  const { scheduler, peer, session } = await setup();
  session.accept();
  scheduler.advance(500);
  await tick();
  assert.equal(peer.sent.length, 0);
  peer.connect();
  await tick();
  assert.equal(peer.sent.length, 1);
  await session.end("hangup", false);
});

Deno.test("CallSession terminates the call at Meta when media never connects", async () => {
  const { scheduler, peer, session, terminated, ended } = await setup();
  session.accept();
  scheduler.advance(10_000);
  await ended;
  assert.equal(session.endReason, "media_connect_timeout");
  assert.deepEqual(terminated, ["wacid.s1"]);
  assert.ok(peer.closed);
});

Deno.test("CallSession ends on a mid-call media failure", async () => {
  const { peer, session, terminated, ended } = await setup();
  peer.connect();
  session.accept();
  await tick();
  peer.fail();
  await ended;
  assert.equal(session.endReason, "media_failed");
  assert.deepEqual(terminated, ["wacid.s1"]);
});

Deno.test("CallSession says goodbye at the maximum length, then hangs up once the audio played", async () => {
  const { scheduler, peer, agent, session, terminated, ended } = await setup({ maxCallMs: 5_000 });
  peer.connect();
  session.accept();
  await tick();
  scheduler.advance(5_000);
  assert.ok(agent.calls.includes("goodbye:max_duration"));
  session.audio.enqueue(new Int16Array(24_000), "bye"); // 1 s goodbye
  agent.ctx!.requestHangup("max_duration");
  scheduler.advance(500);
  await tick();
  assert.equal(session.state, "active", "still speaking");
  scheduler.advance(600);
  await ended;
  assert.equal(session.endReason, "max_duration");
  assert.deepEqual(terminated, ["wacid.s1"]);
});

Deno.test("CallSession hangs up after the caller's silence timeout even without a goodbye", async () => {
  const { scheduler, peer, agent, session, ended } = await setup({ callerSilenceTimeoutMs: 3_000 });
  peer.connect();
  session.accept();
  await tick();
  scheduler.advance(3_000);
  assert.ok(agent.calls.includes("goodbye:caller_silence"));
  scheduler.advance(15_000);
  await ended;
  assert.equal(session.endReason, "caller_silence");
});

Deno.test("CallSession terminates cleanly when the agent fails beyond recovery", async () => {
  const { peer, agent, session, terminated, ended } = await setup();
  peer.connect();
  session.accept();
  await tick();
  agent.ctx!.onFatal(new Error("openai unreachable"));
  await ended;
  assert.equal(session.endReason, "agent_failed: openai unreachable");
  assert.deepEqual(terminated, ["wacid.s1"]);
  assert.ok(agent.calls.includes("close:agent_failed: openai unreachable"));
});

Deno.test("CallSession.end runs once and does not call Meta when the caller hung up", async () => {
  const { session, terminated } = await setup();
  await Promise.all([session.end("caller_hangup", false), session.end("other", true)]);
  assert.equal(session.endReason, "caller_hangup");
  assert.deepEqual(terminated, []);
  assert.equal(session.state, "ended");
});

Deno.test("CallSession records a one-way call when no caller media arrives after ours starts", async () => {
  const events: string[] = [];
  const recorder = {
    recordEvent: (e: { name: string }) => Promise.resolve({ inserted: events.push(e.name) > 0 }),
    addTranscript: () => Promise.reject(new Error("unused")),
    upsertCall: () => Promise.resolve({} as never),
  };
  const { scheduler, peer, session } = await setup({ recorder });
  peer.connect();
  session.accept();
  await tick();
  scheduler.advance(4_900);
  assert.ok(!events.includes("no_caller_media"));
  scheduler.advance(200);
  assert.equal(events.filter((e) => e === "no_caller_media").length, 1);
  scheduler.advance(10_000);
  assert.equal(events.filter((e) => e === "no_caller_media").length, 1, "said once");
  await session.end("hangup", false);
});
