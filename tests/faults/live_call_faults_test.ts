/**
 * Fault injection while calls are live: the OpenAI socket drops, Meta's Graph
 * fails the bridge's `terminate`, and the bridge's HTTP API stalls. Each
 * asserts nothing is lost: the call ends final in the store with its reason,
 * its events and transcripts are there once, no bridge session is left, and
 * Meta was told exactly what it should be told.
 */
import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import type { FakeRealtimeOptions } from "../fakes/openai_realtime.ts";
import type { CallRecords, Stack } from "../e2e/stack.ts";
import { withOpenAIStack } from "../e2e/openai_stack.ts";
import { FakeBridge } from "../functions/fake_bridge.ts";
import {
  newCallId,
  offerFor,
  terminateFor,
  TEST_ENV,
  type VoiceCallsRig,
  voiceCallsRig,
} from "../functions/harness.ts";

/** The stack on the fake OpenAI, with a bridge secret the test knows (to list sessions). */
const withStack = (
  options: FakeRealtimeOptions,
  fn: Parameters<typeof withOpenAIStack>[1],
) => withOpenAIStack(options, fn, { VOICE_BRIDGE_SECRET: BRIDGE_SECRET });

const BRIDGE_SECRET = "faults-bridge-secret";
/** One second of the caller "speaking" (24 kHz, 440 Hz). */
const SPEECH = sine(440, 24000, 24000, 8000);

/** Names of the call's events, sorted. */
function eventNames(r: CallRecords): string[] {
  return r.events.map((e) => e.name).sort();
}

function count(list: readonly string[], name: string): number {
  return list.filter((n) => n === name).length;
}

/**
 * The bridge comes to hold no session within 5 s (asked before `records`,
 * which stops a PGlite-backed stack).
 */
async function assertNoBridgeSession(stack: Stack): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const res = await fetch(`${stack.bridgeUrl}/sessions`, {
      headers: { authorization: `Bearer ${BRIDGE_SECRET}` },
    });
    assert.equal(res.status, 200);
    const { sessions } = (await res.json()) as { sessions: unknown[] };
    if (sessions.length === 0) return;
    assert.ok(performance.now() < deadline, `sessions left: ${JSON.stringify(sessions)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const finished = (r: CallRecords) =>
  r.call?.endedAt != null && r.events.some((e) => e.name === "bridge_session_ended");

Deno.test({
  name:
    "faults: the OpenAI socket drops mid-call: the call completes, nothing said is lost or doubled",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withStack({
      transcripts: ["Are you still there?"],
      responses: [
        { kind: "audio", transcript: "Hello.", toneHz: 700, durationMs: 400 },
        { kind: "audio", transcript: "Yes, I am.", toneHz: 1100, durationMs: 600 },
      ],
    }, async (stack, fake) => {
      const result = await stack.call({
        speech: SPEECH,
        speakAfterMs: 2000,
        listenMs: 2500,
        onStep: (step) => {
          if (step === "firstAgentAudio") setTimeout(() => fake.dropAll(1011, "restart"), 700);
        },
      });
      assert.equal(result.outcome, "completed");
      assert.deepEqual(stack.graph.actionsFor(result.callId), ["pre_accept", "accept"]);
      await assertNoBridgeSession(stack);
      const r = await stack.records(result.callId, (r) => finished(r) && r.transcripts.length >= 3);
      assert.equal(r.call?.status, "completed");
      assert.equal(r.call?.endReason, "meta_completed");
      assert.deepEqual(
        r.transcripts.map((t) => [t.speaker, t.text]),
        [["agent", "Hello."], ["caller", "Are you still there?"], ["agent", "Yes, I am."]],
      );
      const names = eventNames(r);
      for (const once of ["connect", "accepted", "terminate", "bridge_session_ended"]) {
        assert.equal(count(names, once), 1, `${once} in ${names}`);
      }
      assert.ok(names.includes("openai_reconnected"), `${names}`);
      assert.ok(!names.includes("terminate_sent"), `${names}`);
    }),
});

/** The agent greets, hears the caller, says goodbye and calls `end_call`. */
const HANGING_UP_AGENT: FakeRealtimeOptions = {
  transcripts: ["That is all, thanks."],
  responses: [
    { kind: "audio", transcript: "Hello.", toneHz: 700, durationMs: 400 },
    { kind: "function_call", name: "end_call", arguments: '{"reason":"caller is done"}' },
  ],
};

/** Places a call the agent hangs up while Meta fails `terminate` `times` times. */
async function agentHangsUpDuringGraphErrors(times: number) {
  let out: { actions: unknown[]; records: CallRecords } | undefined;
  await withStack(HANGING_UP_AGENT, async (stack) => {
    stack.graph.failNext("terminate", { status: 503, code: 138004, times });
    const result = await stack.call({ speech: SPEECH, speakAfterMs: 1000, listenMs: 3000 });
    await assertNoBridgeSession(stack);
    const records = await stack.records(
      result.callId,
      (r) =>
        finished(r) &&
        r.events.some((e) => e.name === "terminate_sent" || e.name === "terminate_failed"),
    );
    out = { actions: stack.graph.actionsFor(result.callId), records };
  });
  const { records } = out!;
  assert.ok(!eventNames(records).includes("barge_in"), "the caller let the greeting finish");
  assert.equal(records.call?.status, "completed");
  assert.equal(records.call?.endReason, "caller is done");
  assert.deepEqual(
    records.transcripts.map((t) => [t.speaker, t.text]),
    [["agent", "Hello."], ["caller", "That is all, thanks."]],
  );
  return out!;
}

Deno.test({
  name: "faults: Meta fails the agent's terminate once: retried, sent once, the record is final",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { actions, records } = await agentHangsUpDuringGraphErrors(1);
    assert.deepEqual(actions, ["pre_accept", "accept", "terminate", "terminate"]);
    const names = eventNames(records);
    assert.equal(count(names, "terminate_sent"), 1, `${names}`);
    assert.equal(count(names, "terminate_failed"), 0, `${names}`);
    assert.equal(count(names, "bridge_session_ended"), 1, `${names}`);
  },
});

Deno.test({
  name:
    "faults: Meta keeps failing the agent's terminate: the failure is recorded, the call still ends",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { actions, records } = await agentHangsUpDuringGraphErrors(100);
    // Every attempt reached Meta (one try and two retries), none succeeded.
    assert.deepEqual(actions, ["pre_accept", "accept", "terminate", "terminate", "terminate"]);
    const names = eventNames(records);
    assert.equal(count(names, "terminate_failed"), 1, `${names}`);
    assert.equal(count(names, "terminate_sent"), 0, `${names}`);
    assert.equal(count(names, "bridge_session_ended"), 1, `${names}`);
    const failed = records.events.find((e) => e.name === "terminate_failed");
    assert.equal((failed?.data as { reason?: string }).reason, "caller is done");
  },
});

/**
 * A bridge whose HTTP API stalls: while stalled, requests matching `stalls`
 * are held (the client times out); `resume` then delivers them, in order, as
 * a bridge back from a stall would handle what it had queued.
 */
class StallingBridge {
  readonly bridge = new FakeBridge(TEST_ENV.VOICE_BRIDGE_SECRET);
  stalls: RegExp | null = null;
  readonly #held: Array<() => Promise<unknown>> = [];

  /** Serves on loopback; returns its URL and a closer. */
  start(): Promise<{ url: string; close: () => Promise<void> }> {
    return new Promise((resolve) => {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: ({ port }) =>
          resolve({ url: `http://127.0.0.1:${port}`, close: () => server.shutdown() }),
      }, async (req) => {
        const body = await req.text();
        const copy = () =>
          this.bridge.handle(
            new Request(req.url, { method: req.method, headers: req.headers, body: body || null }),
          );
        const key = `${req.method} ${new URL(req.url).pathname}`;
        if (this.stalls === null || !this.stalls.test(key)) return await copy();
        const handled = Promise.withResolvers<Response>();
        this.#held.push(() => copy().then(handled.resolve));
        return await handled.promise;
      });
    });
  }

  /** Ends the stall: every held request reaches the bridge, in arrival order. */
  async resume(): Promise<void> {
    this.stalls = null;
    for (const deliver of this.#held.splice(0)) await deliver();
  }
}

async function withStalledBridge(
  test: (rig: VoiceCallsRig, stalling: StallingBridge) => Promise<void>,
): Promise<void> {
  const stalling = new StallingBridge();
  const server = await stalling.start();
  const rig = await voiceCallsRig({ bridgeUrl: server.url });
  try {
    await test(rig, stalling);
  } finally {
    await stalling.resume();
    await rig.close();
    await server.close();
  }
}

async function storedEvents(rig: VoiceCallsRig, callId: string): Promise<string[]> {
  return (await rig.store.listEvents(callId)).map((e) => e.name).sort();
}

Deno.test({
  name:
    "faults: the bridge stalls as Meta accepts: the call is hung up, not left live, and recorded",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withStalledBridge(async (rig, stalling) => {
      const callId = newCallId();
      stalling.stalls = /^(POST \/sessions\/[^/]+\/(accept|events)|DELETE )/;
      const [result] = await rig.send(offerFor(callId));
      assert.equal(result?.outcome, "failed");
      assert.equal(result?.reason, "bridge_accept_timeout");
      // Meta had accepted: the caller is hung up on, not left on a dead line.
      assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept", "terminate"]);
      const call = await rig.store.getCall(callId);
      assert.deepEqual([call?.status, call?.endReason], ["failed", "bridge_accept_timeout"]);
      assert.ok(call?.endedAt);

      // The bridge comes back and handles the queue: the session ends, none is orphaned.
      await stalling.resume();
      assert.deepEqual(stalling.bridge.sessionsFor(callId).map((s) => s.state), ["ended"]);
      // Meta's terminate confirming our hang-up changes nothing.
      assert.equal((await rig.send(terminateFor(callId)))[0]?.callId, callId);
      assert.deepEqual(stalling.bridge.sessionsFor(callId).map((s) => s.state), ["ended"]);
      const after = await rig.store.getCall(callId);
      assert.deepEqual([after?.status, after?.endReason], ["failed", "bridge_accept_timeout"]);
      const names = await storedEvents(rig, callId);
      assert.deepEqual(names, ["connect", "failed", "terminate"]);
      assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept", "terminate"]);
    }),
});

Deno.test({
  name:
    "faults: the bridge stalls during a live call's hang-up: recorded at once, session ended later",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withStalledBridge(async (rig, stalling) => {
      const callId = newCallId();
      assert.equal((await rig.send(offerFor(callId)))[0]?.outcome, "accepted");
      stalling.stalls = /./;

      const started = performance.now();
      assert.equal((await rig.send(terminateFor(callId)))[0]?.outcome, "ended");
      assert.ok(performance.now() - started < 5000, "the stalled bridge held the webhook");
      const call = await rig.store.getCall(callId);
      assert.deepEqual([call?.status, call?.endReason], ["completed", "meta_completed"]);
      assert.deepEqual(stalling.bridge.sessionsFor(callId).map((s) => s.state), ["accepted"]);

      await stalling.resume();
      const [session] = stalling.bridge.sessionsFor(callId);
      assert.deepEqual([session?.state, session?.endReason], ["ended", "meta_terminate"]);
      assert.deepEqual(await storedEvents(rig, callId), ["accepted", "connect", "terminate"]);
      // Meta was told nothing beyond the answer: the caller hung up.
      assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "accept"]);
    }),
});
