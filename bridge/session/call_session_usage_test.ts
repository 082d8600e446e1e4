import assert from "node:assert/strict";
import { CallSession } from "./call_session.ts";
import type { SessionDeps } from "./session_deps.ts";
import { FakeAgent, FakePeer, META_OFFER } from "../../tests/support/session_fakes.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import { openStore } from "../../store/open.ts";
import { emptyUsage } from "../../lib/realtime/usage.ts";

async function start(recorder: SessionDeps["recorder"]) {
  const scheduler = new ManualScheduler();
  const peer = new FakePeer(scheduler);
  const agent = new FakeAgent();
  const session = await CallSession.create(
    {
      callId: "wacid.u1",
      phoneNumberId: "123",
      from: "16315553602",
      to: "16315553601",
      sdp: META_OFFER,
    },
    {
      createPeer: () => Promise.resolve(peer),
      createAgent: () => agent,
      recorder,
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 60_000,
      callerSilenceTimeoutMs: 0,
    },
  );
  return { session, agent };
}

Deno.test("CallSession stores the agent's usage as it accrues, so an abrupt end loses none", async () => {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    const { session, agent } = await start(store);
    const ctx = agent.ctx!;
    ctx.onUsage({
      ...emptyUsage("gpt-realtime-2.1"),
      requests: 1,
      inputAudioTokens: 40,
      outputAudioTokens: 24,
    });
    ctx.onUsage({ ...emptyUsage("gpt-live-transcribe"), requests: 1, audioSeconds: 2.5 });
    ctx.onUsage({
      ...emptyUsage("gpt-realtime-2.1"),
      requests: 1,
      inputAudioTokens: 60,
      outputAudioTokens: 12,
    });
    // The media fails mid-call: nothing more is reported, what was reported is kept.
    await session.end("media_failed", false);
    const rows = await store.listUsage("wacid.u1");
    assert.deepEqual(
      rows.map((
        r,
      ) => [r.model, r.requests, r.inputAudioTokens, r.outputAudioTokens, r.audioSeconds]),
      [
        ["gpt-live-transcribe", 1, 0, 0, 2.5],
        ["gpt-realtime-2.1", 2, 100, 36, 0],
      ],
    );
  } finally {
    await store.close();
  }
});

Deno.test("CallSession: a failing usage write is logged with the call id and does not end the call", async () => {
  const logs = await captureLogs();
  try {
    const { session, agent } = await start({
      recordEvent: () => Promise.resolve({ inserted: true }),
      addTranscript: () => Promise.reject(new Error("unused")),
      upsertCall: () => Promise.resolve({} as never),
      addUsage: () => Promise.reject(new Error("db down")),
    });
    agent.ctx!.onUsage({ ...emptyUsage("gpt-realtime-2.1"), requests: 1 });
    await new Promise((r) => setTimeout(r, 0));
    const [line] = logs.find("CALL_RECORD_FAILED");
    assert.equal(line?.properties.callId, "wacid.u1");
    assert.equal(line?.properties.what, "usage");
    assert.equal(session.state, "answered");
    await session.end("caller_hangup", false);
  } finally {
    await logs.stop();
  }
});
