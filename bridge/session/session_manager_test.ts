import assert from "node:assert/strict";
import { GraphClient } from "../../lib/whatsapp/graph.ts";
import { FakeMetaGraph } from "../../simulator/meta_graph.ts";
import { DEFAULT_BUSINESS } from "../../simulator/meta_webhooks.ts";
import {
  FakeAgent,
  FakePeer,
  FakeTerminator,
  META_OFFER,
  type TerminateOutcome,
} from "../../tests/support/session_fakes.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import type { CallSession } from "./call_session.ts";
import type { CallTerminator } from "./session_deps.ts";
import { CapacityError, SessionManager } from "./session_manager.ts";

const DRAIN_END_TIMEOUT_MS = 5_000;

const request = (callId: string) => ({
  callId,
  phoneNumberId: DEFAULT_BUSINESS.phoneNumberId,
  from: "16315553602",
  to: "16315553601",
  sdp: META_OFFER,
});

function manager(
  terminator: CallTerminator,
  createPeer?: (scheduler: ManualScheduler) => Promise<FakePeer>,
) {
  const scheduler = new ManualScheduler();
  const manager = new SessionManager({
    maxSessions: 10,
    maxCpuPercent: 0,
    cpuPercent: () => 0,
    drainEndTimeoutMs: DRAIN_END_TIMEOUT_MS,
    deps: {
      createPeer: () => createPeer?.(scheduler) ?? Promise.resolve(new FakePeer(scheduler)),
      createAgent: () => new FakeAgent(),
      terminator,
      scheduler,
      mediaConnectTimeoutMs: 10_000,
      maxCallMs: 3_600_000,
      callerSilenceTimeoutMs: 0,
    },
  });
  return { scheduler, manager };
}

/** `n` answered calls (`wacid.d0`…), each with its own scripted terminate. */
async function liveCalls(n: number, outcomes: Record<string, TerminateOutcome> = {}) {
  const terminator = new FakeTerminator(outcomes);
  const { scheduler, manager: m } = manager(terminator);
  const sessions: CallSession[] = [];
  for (let i = 0; i < n; i++) sessions.push(await m.create(request(`wacid.d${i}`)));
  return { scheduler, manager: m, terminator, sessions, callIds: sessions.map((s) => s.callId) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function settled(p: Promise<unknown>): () => boolean {
  let done = false;
  p.then(() => done = true);
  return () => done;
}

Deno.test("drain waits for live calls, then ends every one and tells Meta about each", async () => {
  const { scheduler, manager, terminator, sessions, callIds } = await liveCalls(3);
  const drained = manager.drain(2_000);
  scheduler.advance(1_999);
  await tick();
  assert.deepEqual(terminator.requested, [], "live calls get the drain timeout to finish");
  assert.ok(sessions.every((s) => s.state === "answered"));
  scheduler.advance(1);
  await drained;
  assert.deepEqual([...terminator.confirmed].sort(), callIds);
  assert.ok(sessions.every((s) => s.state === "ended" && s.endReason === "bridge_shutdown"));
  assert.equal(manager.list().length, 0);
  assert.equal(scheduler.pending, 0, "no timer outlives the drained calls");
});

Deno.test("drain: a terminate that fails or hangs holds up no other call, and drain still returns", async () => {
  const logs = await captureLogs();
  try {
    const { scheduler, manager, terminator, sessions, callIds } = await liveCalls(4, {
      "wacid.d0": "hang",
      "wacid.d1": "fail",
    });
    const done = settled(manager.drain(0));
    await tick();
    assert.deepEqual(terminator.requested, callIds, "Meta asked about every call at once");
    assert.deepEqual(terminator.confirmed, ["wacid.d2", "wacid.d3"]);
    assert.ok(!done(), "drain waits a while for the hanging one");
    assert.ok(
      logs.find("WA_TERMINATE_FAILED").some((r) => r.properties.callId === "wacid.d1"),
      "the failure is logged against its call",
    );
    scheduler.advance(DRAIN_END_TIMEOUT_MS - 1);
    await tick();
    assert.ok(!done());
    scheduler.advance(1);
    await tick();
    assert.ok(done(), "bounded by drainEndTimeoutMs");
    assert.deepEqual(logs.find("VOICE_BRIDGE_DRAIN_INCOMPLETE")[0]?.properties.callIds, [
      "wacid.d0",
    ]);
    assert.deepEqual(sessions.map((s) => s.state), ["ending", "ended", "ended", "ended"]);
  } finally {
    await logs.stop();
  }
});

Deno.test("drain: Meta's Graph API gets a terminate for every call", async () => {
  const graph = new FakeMetaGraph();
  const client = new GraphClient({ accessToken: graph.accessToken, fetch: graph.fetch });
  const callIds = ["wacid.g0", "wacid.g1", "wacid.g2"];
  for (const callId of callIds) graph.registerCall({ callId });
  const { manager: m } = manager({
    terminate: (phoneNumberId, callId) => client.terminate({ phoneNumberId, callId }),
  });
  for (const callId of callIds) await m.create(request(callId));
  await m.drain(0);
  for (const callId of callIds) {
    assert.deepEqual(graph.actionsFor(callId), ["terminate"], callId);
    assert.equal(graph.call(callId)?.state, "terminated", callId);
  }
});

Deno.test("a second drain (a second SIGTERM) returns the first one's promise and ends calls once", async () => {
  const { scheduler, manager, terminator, sessions } = await liveCalls(2);
  const first = manager.drain(1_000);
  const second = manager.drain(0);
  assert.equal(second, first);
  await tick();
  assert.ok(sessions.every((s) => s.state === "answered"), "the second call's 0 s does not apply");
  scheduler.advance(1_000);
  await second;
  assert.equal(terminator.requested.length, 2, "one terminate per call");
});

Deno.test("a call answered after the drain ended the others is ended too, not left behind", async () => {
  const terminator = new FakeTerminator();
  let answer: (peer: FakePeer) => void = () => {};
  let peer: FakePeer | undefined;
  const { manager: m } = manager(terminator, (scheduler) => {
    peer = new FakePeer(scheduler);
    return new Promise((resolve) => answer = resolve);
  });
  const creating = m.create(request("wacid.late"));
  await tick();
  let drained = false;
  const drain = m.drain(0).then(() => drained = true);
  await tick();
  // The drain waits for it: the process must not close its store under the creation.
  assert.equal(drained, false);
  answer(peer!);
  await drain;
  await assert.rejects(creating, (e) => e instanceof CapacityError && e.reason === "draining");
  assert.ok(peer!.closed, "its peer is closed");
  assert.equal(m.list().length, 0);
  assert.deepEqual(terminator.requested, [], "Meta never accepted it: the function rejects it");
});

Deno.test("the manager logs a rejected offer with its call id", async () => {
  const logs = await captureLogs();
  try {
    const { manager: m } = manager(new FakeTerminator());
    await assert.rejects(m.create({ ...request("wacid.bad"), sdp: "v=0\r\n" }));
    const [line] = logs.find("VOICE_BRIDGE_OFFER_REJECTED");
    assert.equal(line?.properties.callId, "wacid.bad");
    assert.ok(Array.isArray(line?.properties.reasons));
  } finally {
    await logs.stop();
  }
});
