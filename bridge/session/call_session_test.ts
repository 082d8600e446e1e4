import assert from "node:assert/strict";
import { loadConfig, sessionLimits } from "../config.ts";
import { CallSession, GOODBYE_GRACE_MS, OfferRejectedError } from "./call_session.ts";
import type { SessionDeps, SessionLimits } from "./session_deps.ts";
import { FakeAgent, FakeCaller, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";

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

/** The limits the bridge derives from these environment variables. */
function limitsFrom(env: Record<string, string>): SessionLimits {
  return sessionLimits(loadConfig({ VOICE_BRIDGE_SECRET: "0123456789abcdef0123", ...env }).env);
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

/** Connects and accepts; resolves once media runs. */
async function activate(s: Awaited<ReturnType<typeof setup>>) {
  s.peer.connect();
  s.session.accept();
  await tick();
  assert.equal(s.session.state, "active");
}

Deno.test("MAX_CALL_MINUTES: the agent says goodbye at exactly that many minutes, Meta is told after the grace", async () => {
  const s = await setup(limitsFrom({ MAX_CALL_MINUTES: "1.5", CALLER_SILENCE_TIMEOUT_S: "0" }));
  await activate(s);
  s.scheduler.advance(90_000 - 1);
  assert.deepEqual(s.agent.calls, ["accepted"], "no goodbye before 1.5 minutes");
  s.scheduler.advance(1);
  assert.deepEqual(s.agent.calls, ["accepted", "goodbye:max_duration"]);
  s.scheduler.advance(GOODBYE_GRACE_MS - 1);
  await tick();
  assert.equal(s.session.state, "active", "the goodbye gets its grace");
  assert.deepEqual(s.terminated, []);
  s.scheduler.advance(1);
  await s.ended;
  assert.equal(s.session.endReason, "max_duration");
  assert.deepEqual(s.terminated, ["wacid.s1"]);
  assert.equal(s.scheduler.pending, 0);
});

Deno.test("CALLER_SILENCE_TIMEOUT_S: a caller who keeps talking is never hung up; silence that long is", async () => {
  const s = await setup(limitsFrom({ CALLER_SILENCE_TIMEOUT_S: "10", MAX_CALL_MINUTES: "60" }));
  await activate(s);
  const caller = new FakeCaller(s.peer);
  const talk = (ms: number, voiced: (t: number) => boolean) => {
    for (let t = 0; t < ms; t += 20) {
      caller.send(voiced(t));
      s.scheduler.advance(20);
    }
  };
  // A second of speech every 4 s, for almost six timeouts.
  talk(57_000, (t) => t % 4_000 < 1_000);
  assert.ok(!s.agent.calls.includes("goodbye:caller_silence"), "talking caller kept");
  talk(9_800, () => false);
  assert.ok(!s.agent.calls.includes("goodbye:caller_silence"), "not before 10 s of silence");
  talk(400, () => false);
  assert.ok(s.agent.calls.includes("goodbye:caller_silence"), "10 s of silence ends the call");
  s.scheduler.advance(GOODBYE_GRACE_MS);
  await s.ended;
  assert.equal(s.session.endReason, "caller_silence");
  assert.deepEqual(s.terminated, ["wacid.s1"]);
});

Deno.test("no timer outlives the call, however it ends", async () => {
  const paths: Record<string, (s: Awaited<ReturnType<typeof setup>>) => Promise<void>> = {
    caller_hangup: async (s) => {
      await activate(s);
      await s.session.end("caller_hangup", false);
    },
    media_connect_timeout: async (s) => {
      s.session.accept();
      s.scheduler.advance(10_000);
      await s.ended;
    },
    media_failed: async (s) => {
      await activate(s);
      s.peer.fail();
      await s.ended;
    },
    agent_failed: async (s) => {
      await activate(s);
      s.agent.ctx!.onFatal(new Error("gone"));
      await s.ended;
    },
    caller_hangs_up_during_goodbye: async (s) => {
      await activate(s);
      s.session.audio.enqueue(new Int16Array(24_000 * 5), "bye");
      s.agent.ctx!.requestHangup("done");
      await s.session.end("caller_hangup", false);
      await s.session.audio.idle(); // the hang-up's wait for the audio is released
    },
  };
  for (const [name, run] of Object.entries(paths)) {
    const s = await setup({ callerSilenceTimeoutMs: 30_000 });
    await run(s);
    assert.equal(s.session.state, "ended", name);
    assert.equal(s.scheduler.pending, 0, `${name}: timers left`);
  }
});

Deno.test("Meta is told at once, even while the peer and the agent are still closing", async () => {
  const s = await setup();
  s.peer.close = () => new Promise(() => {});
  s.agent.close = () => new Promise(() => {});
  await activate(s);
  void s.session.end("media_failed", true);
  await tick();
  assert.deepEqual(s.terminated, ["wacid.s1"]);
});

Deno.test("every failure while ending is logged with the call id and a stable name, and the call still ends", async () => {
  const logs = await captureLogs();
  try {
    const s = await setup({
      terminator: { terminate: () => Promise.reject(new Error("graph 500")) },
      recorder: {
        recordEvent: () => Promise.reject(new Error("db down")),
        addTranscript: () => Promise.reject(new Error("db down")),
        upsertCall: () => Promise.reject(new Error("db down")),
      },
    });
    s.peer.close = () => Promise.reject(new Error("dtls close"));
    s.agent.close = () => Promise.reject(new Error("ws close"));
    await activate(s);
    s.session.onTranscript({ speaker: "caller", text: "hi", startedAt: 0, endedAt: 1 });
    await s.session.end("media_failed", true);
    for (
      const event of [
        "WA_TERMINATE_FAILED",
        "WEBRTC_PEER_CLOSE_FAILED",
        "AGENT_CLOSE_FAILED",
        "CALL_RECORD_FAILED",
      ]
    ) {
      const [line] = logs.find(event);
      assert.equal(line?.properties.callId, "wacid.s1", event);
      assert.match(String(line?.properties.error), /graph 500|dtls close|ws close|db down/, event);
    }
    assert.equal(s.session.state, "ended");
  } finally {
    await logs.stop();
  }
});

Deno.test("an agent that throws when the call starts ends that call, not the process", async () => {
  const logs = await captureLogs();
  try {
    const s = await setup();
    s.agent.callAccepted = () => {
      throw new Error("boom");
    };
    s.peer.connect();
    s.session.accept();
    await s.ended;
    assert.equal(s.session.endReason, "media_start_failed");
    assert.deepEqual(s.terminated, ["wacid.s1"]);
    assert.equal(logs.find("AUDIO_BRIDGE_START_FAILED")[0]?.properties.callId, "wacid.s1");
  } finally {
    await logs.stop();
  }
});

Deno.test("waitConnected: true once ICE and DTLS are up, else false when the wait runs out or the call ends", async () => {
  const up = await setup();
  const waiting = up.session.waitConnected(3_000);
  up.peer.connect();
  assert.equal(await waiting, true);
  assert.equal(await up.session.waitConnected(3_000), true, "already up");
  await up.session.end("hangup", false);
  assert.equal(await up.session.waitConnected(3_000), false, "up, but the call is over");
  assert.equal(up.scheduler.pending, 0, "every wait cleared its timer");

  const slow = await setup();
  let settled: boolean | undefined;
  const bounded = slow.session.waitConnected(3_000).then((c) => (settled = c));
  slow.scheduler.advance(2_999);
  await tick();
  assert.equal(settled, undefined, "still waiting inside the bound");
  slow.scheduler.advance(1);
  assert.equal(await bounded, false);
  assert.equal(slow.session.state, "answered", "running out of time is the caller's decision");
  await slow.session.end("test", false);

  const hungUp = await setup();
  const abandoned = hungUp.session.waitConnected(3_000);
  await hungUp.session.end("meta_terminate", false);
  assert.equal(await abandoned, false);
});

Deno.test("CallSession hands the agent the caller's context; a caller without a number is fine", async () => {
  const scheduler = new ManualScheduler();
  const agent = new FakeAgent();
  const caller = { userId: "BR.1502576394655843", name: "Pablo Morales", ctaPayload: "billing" };
  const session = await CallSession.create(
    { callId: "wacid.u1", phoneNumberId: "123", to: "16315553601", sdp: META_OFFER, caller },
    {
      createPeer: () => Promise.resolve(new FakePeer(scheduler)),
      createAgent: () => agent,
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
    },
  );
  assert.deepEqual(agent.ctx?.caller, caller);
  const view = session.toJSON();
  assert.equal("from" in view, false);
  assert.equal(view.fromUserId, "BR.15•••43");
  await session.end("hangup", false);
});
