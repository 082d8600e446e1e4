import assert from "node:assert/strict";
import { captureLogs, type LogCapture } from "../support/log_capture.ts";
import { createCoreHandler } from "../../supabase/functions/wa-webhook-core/index.ts";
import { createVoiceCallsHandler } from "../../supabase/functions/wa-webhook-voice-calls/index.ts";
import type { Store } from "../../store/store.ts";
import { newCallId, offerFor, sharedStore, TEST_ENV, voiceCallsRig } from "./harness.ts";

const INTERNAL = "postgres://admin:hunter2@db.internal:5432 refused";

/** Runs `fn` with the functions' log lines captured. */
async function withLogs(fn: (logs: LogCapture) => Promise<void>): Promise<void> {
  const logs = await captureLogs("functions");
  try {
    await fn(logs);
  } finally {
    await logs.stop();
  }
}

/** Asserts a bare 500 that shows nothing of {@link INTERNAL}. */
async function assertBare500(res: Response, extra: Record<string, unknown> = {}) {
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.doesNotMatch(text, /hunter2|db\.internal|refused/);
  assert.deepEqual(JSON.parse(text), { error: "internal error", ...extra });
}

const logged = (logs: LogCapture, event: string) =>
  logs.find(event).find((r) => String(r.properties.error).includes(INTERNAL));

// A store failure alone is deferred to the outbox (tests/faults/); these fail the outbox too.
const refusingOutbox = { append: () => Promise.reject(new Error(INTERNAL)) };

Deno.test("voice-calls: a store that cannot open, nor the outbox, answers a bare 500", () =>
  withLogs(async (logs) => {
    const handler = createVoiceCallsHandler({
      env: { ...TEST_ENV, VOICE_BRIDGE_URL: "http://127.0.0.1:1" },
      store: () => Promise.reject(new Error(INTERNAL)),
      outbox: refusingOutbox,
    });
    const res = await handler(
      new Request("http://localhost/", {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_ENV.SUPABASE_SERVICE_ROLE_KEY}` },
        body: JSON.stringify(offerFor(newCallId())),
      }),
    );
    await assertBare500(res, { results: [] });
    assert.ok(logged(logs, "WA_CALL_FAILED"), "no WA_CALL_FAILED line");
  }));

Deno.test("voice-calls: a store failing mid-call answers 500 with our results only", () =>
  withLogs(async (logs) => {
    const real = await sharedStore();
    const failing: Store = {
      ...real,
      backend: real.backend,
      recordEvent: () => Promise.reject(new Error(INTERNAL)),
    };
    const rig = await voiceCallsRig({ store: failing, outbox: refusingOutbox });
    try {
      const callId = newCallId();
      await assertBare500(await rig.post(offerFor(callId)), { results: [] });
      const line = logged(logs, "WA_CALL_FAILED");
      assert.equal(line?.properties.callId, callId);
    } finally {
      await rig.close();
    }
  }));

Deno.test("core: a request failing inside answers a bare 500; the detail is logged", () =>
  withLogs(async (logs) => {
    const handler = createCoreHandler({
      env: TEST_ENV,
      store: sharedStore,
      invokeVoiceCalls: () => Promise.resolve(),
    });
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => c.error(new Error(INTERNAL)),
    });
    const res = await handler(
      new Request("http://localhost/", {
        method: "POST",
        body,
        headers: { "x-hub-signature-256": "" },
      }),
    );
    await assertBare500(res);
    assert.ok(logged(logs, "WA_FUNCTION_FAILED"), "no WA_FUNCTION_FAILED line");
  }));

Deno.test("voice-calls: one event failing does not stop the change's other events", () =>
  withLogs(async () => {
    const real = await sharedStore();
    const [bad, good] = [newCallId(), newCallId()];
    const failing: Store = {
      ...real,
      backend: real.backend,
      recordEvent: (e) =>
        e.callId === bad ? Promise.reject(new Error(INTERNAL)) : real.recordEvent(e),
    };
    const rig = await voiceCallsRig({ store: failing, outbox: refusingOutbox });
    try {
      // One change carrying two calls' connects, the failing one first.
      const payload = offerFor(bad) as { entry: { changes: { value: { calls: unknown[] } }[] }[] };
      const other = offerFor(good) as typeof payload;
      payload.entry[0]!.changes[0]!.value.calls.push(...other.entry[0]!.changes[0]!.value.calls);
      const res = await rig.post(payload);
      assert.equal(res.status, 500);
      const body = await res.json() as { results: { callId: string; outcome: string }[] };
      assert.deepEqual(body.results.map((r) => [r.callId, r.outcome]), [[good, "accepted"]]);
    } finally {
      await rig.close();
    }
  }));

Deno.test("voice-calls: a store failing after pre_accept still rejects the ringing call, once", () =>
  withLogs(async () => {
    const real = await sharedStore();
    const failing: Store = {
      ...real,
      backend: real.backend,
      transitionCall: () => Promise.reject(new Error(INTERNAL)),
    };
    const rig = await voiceCallsRig({ store: failing, outbox: refusingOutbox });
    try {
      const callId = newCallId();
      const res = await rig.post(offerFor(callId));
      assert.equal(res.status, 500);
      await res.body?.cancel();
      // Never left ringing: Meta hears a reject (once), and the bridge session goes.
      assert.deepEqual(rig.graph.actionsFor(callId), ["pre_accept", "reject"]);
      assert.equal(rig.bridge.sessionsFor(callId)[0]?.state, "ended");
    } finally {
      await rig.close();
    }
  }));
