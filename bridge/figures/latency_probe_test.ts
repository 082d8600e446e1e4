import assert from "node:assert/strict";
import { CallSession } from "../session/call_session.ts";
import type { Agent } from "../agents/agent.ts";
import { EchoAgent } from "../agents/echo.ts";
import { FakeAgent, FakeCaller, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { settleCallFigures } from "./settle.ts";
import { FiguresMetrics } from "./figures_metrics.ts";

const CALL = "wacid.probe";
const tick = () => new Promise((r) => setTimeout(r, 0));

async function startCall(store: Store, agent: Agent) {
  const scheduler = new ManualScheduler();
  const peer = new FakePeer(scheduler);
  const session = await CallSession.create(
    { callId: CALL, phoneNumberId: "123", from: "16315553602", to: "16315553601", sdp: META_OFFER },
    {
      createPeer: () => Promise.resolve(peer),
      createAgent: () => agent,
      recorder: store,
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 600_000,
      callerSilenceTimeoutMs: 0,
    },
  );
  peer.connect();
  await tick();
  session.accept();
  await tick();
  return { scheduler, peer, session, caller: new FakeCaller(peer) };
}

/** The caller sends one frame per 20 ms tick. */
function talk(
  s: { scheduler: ManualScheduler; caller: FakeCaller },
  voice: boolean,
  frames: number,
) {
  for (let i = 0; i < frames; i++) {
    s.caller.send(voice);
    s.scheduler.advance(20);
  }
}

async function settled(store: Store) {
  await tick();
  return (await settleCallFigures(store, CALL, { metrics: new FiguresMetrics() })).latency;
}

Deno.test("latency probe: an echo turn is measured on the media clock, end of voice → echo on the wire", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const s = await startCall(store, new EchoAgent());
    talk(s, false, 40); // the chime plays out
    talk(s, true, 30);
    talk(s, false, 60);
    await s.session.end("caller_hangup", false);
    const latency = await settled(store);
    // 500 ms of silence confirm the end (25 frames), the echo leaves on the next tick.
    assert.deepEqual(latency.turnsMs, [520]);
    assert.equal(latency.p50Ms, 520);
    // The first packet at accept is silence; the chime is queued then and sent on the next tick.
    assert.equal(latency.acceptToFirstAudioMs, 20);
  } finally {
    await store.close();
  }
});

Deno.test("latency probe: an answer cancelled by more caller speech is no turn; the next one is", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const agent = new FakeAgent();
    const s = await startCall(store, agent);
    const ctx = agent.ctx!;
    const pcm = new Int16Array(960).fill(1000);
    talk(s, true, 50); // 1 s delivered
    ctx.onCallerSpeechEnded!(600);
    ctx.onCallerSpeechStarted!(); // barge-in: the answer in flight is cancelled
    talk(s, true, 10);
    ctx.audio.enqueue(pcm, "late_audio_of_the_cancelled_answer");
    talk(s, false, 10);
    ctx.onCallerSpeechEnded!(1200); // the end of frame 59
    talk(s, false, 15); // 300 ms of thinking
    ctx.audio.enqueue(pcm, "answer");
    talk(s, false, 5);
    await s.session.end("caller_hangup", false);
    const latency = await settled(store);
    assert.equal(latency.turns, 1, JSON.stringify(latency.turnsMs));
    // Frame 59 (ms 1180–1200 of the caller's audio) reached the agent on tick 60 (the jitter
    // buffer holds one frame); the answer, queued after tick 85, left on tick 86: 26 ticks.
    assert.deepEqual(latency.turnsMs, [520]);
  } finally {
    await store.close();
  }
});
