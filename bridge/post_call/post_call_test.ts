import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { callWebhookPayloadSchema } from "../../lib/webhooks/call_webhook_payload.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import { PostCallRunner, type PostCallSteps } from "./post_call.ts";
import type { CallReportParts } from "./call_report.ts";

const CALL = "wacid.post1";
const T0 = new Date("2026-12-07T10:00:00.000Z");

async function storeWithCall(status: "active" | "completed" = "completed"): Promise<Store> {
  const store = await openStore({ pgliteDir: "memory://" });
  await store.upsertCall({
    callId: CALL,
    status,
    direction: "user_initiated",
    fromNumber: "16315553602",
    toNumber: "16315553601",
    phoneNumberId: "1234",
    offeredAt: T0,
    acceptedAt: new Date(T0.getTime() + 500),
    ...(status === "completed"
      ? { endedAt: new Date(T0.getTime() + 60_000), endReason: "caller_hangup" }
      : {}),
  });
  await store.addTranscript({
    callId: CALL,
    speaker: "agent",
    text: "Hello, how can I help?",
    startedAt: new Date(T0.getTime() + 1_000),
    endedAt: new Date(T0.getTime() + 2_000),
  });
  await store.addTranscript({
    callId: CALL,
    speaker: "caller",
    text: "Where is order 42?",
    startedAt: new Date(T0.getTime() + 3_000),
    endedAt: new Date(T0.getTime() + 4_000),
  });
  return store;
}

/** Fake parts that log the order they ran in, and what the outbox held when analysis began. */
function fakes(store: Store) {
  const order: string[] = [];
  let webhooksAtAnalysis: string[] = [];
  const steps: PostCallSteps = {
    finishRecording: (id) => Promise.resolve(void order.push(`finishRecording:${id}`)),
    settleCallFigures: (id) => Promise.resolve(void order.push(`settleCallFigures:${id}`)),
    analyseCall: async (id) => {
      webhooksAtAnalysis = (await store.listWebhooks(id)).map((w) => w.type);
      order.push(`analyseCall:${id}`);
      return { summary: "asked about order 42" };
    },
  };
  const parts: CallReportParts = {
    cost: () => Promise.resolve({ totalUsd: 0.0123, breakdown: { openai: 0.0123, meta: 0 } }),
    latency: () => Promise.resolve({ turnP50Ms: 420, turnP95Ms: 800 }),
    recordingLink: (id) => Promise.resolve(`https://bridge.example/recordings/${id}?exp=1&sig=abc`),
    analysis: () =>
      Promise.resolve({ summary: "asked about order 42", outcome: "resolved", fields: {} }),
  };
  return { order, steps, parts, webhooksAtAnalysis: () => webhooksAtAnalysis };
}

Deno.test("post-call [pglite]: recording, figures, call.ended, analysis, call.analyzed, in that order", async () => {
  const store = await storeWithCall();
  try {
    const f = fakes(store);
    let woken = 0;
    const runner = new PostCallRunner({
      store,
      steps: f.steps,
      parts: f.parts,
      webhook: { onEnqueued: () => woken++ },
    });
    await runner.run(CALL);
    assert.deepEqual(f.order, [
      `finishRecording:${CALL}`,
      `settleCallFigures:${CALL}`,
      `analyseCall:${CALL}`,
    ]);
    assert.deepEqual(f.webhooksAtAnalysis(), ["call.ended"], "call.ended before the analysis");
    const rows = await store.listWebhooks(CALL);
    assert.deepEqual(rows.map((r) => [r.type, r.state]), [
      ["call.ended", "pending"],
      ["call.analyzed", "pending"],
    ]);
    assert.equal(woken, 2, "the deliverer is woken for each");
    assert.notEqual(rows[0]!.webhookId, rows[1]!.webhookId);
    const ended = callWebhookPayloadSchema.parse(rows[0]!.payload);
    const analyzed = callWebhookPayloadSchema.parse(rows[1]!.payload);
    assert.equal(ended.type, "call.ended");
    assert.deepEqual(ended.data.call, {
      id: CALL,
      direction: "user_initiated",
      from: "16315553602",
      to: "16315553601",
      fromUserId: null,
      toUserId: null,
      phoneNumberId: "1234",
      username: null,
      profileName: null,
      status: "completed",
      endReason: "caller_hangup",
      offeredAt: "2026-12-07T10:00:00.000Z",
      acceptedAt: "2026-12-07T10:00:00.500Z",
      endedAt: "2026-12-07T10:01:00.000Z",
      durationSeconds: null,
      ctaPayload: null,
      deeplinkPayload: null,
      bizOpaqueCallbackData: null,
      testCall: false,
    });
    assert.deepEqual(ended.data.transcript.map((l) => [l.speaker, l.text]), [
      ["agent", "Hello, how can I help?"],
      ["caller", "Where is order 42?"],
    ]);
    assert.deepEqual(ended.data.cost, { totalUsd: 0.0123, breakdown: { openai: 0.0123, meta: 0 } });
    assert.deepEqual(ended.data.latency, { turnP50Ms: 420, turnP95Ms: 800 });
    assert.match(ended.data.recordingUrl ?? "", /recordings\/wacid\.post1\?exp=/);
    assert.equal(ended.data.analysis, null, "call.ended does not wait for the analysis");
    assert.equal(analyzed.type, "call.analyzed");
    assert.deepEqual(analyzed.data.analysis, {
      summary: "asked about order 42",
      outcome: "resolved",
      fields: {},
    });
  } finally {
    await store.close();
  }
});

Deno.test("post-call [pglite]: runs once per call however often the end is reported", async () => {
  const store = await storeWithCall();
  try {
    const f = fakes(store);
    const runner = new PostCallRunner({
      store,
      steps: f.steps,
      parts: f.parts,
      webhook: { onEnqueued: () => {} },
    });
    runner.onCallEnded(CALL);
    runner.onCallEnded(CALL); // onEnded twice while the first run is under way
    await runner.run(CALL);
    await runner.run(CALL); // and again after it finished
    assert.equal(f.order.length, 3);
    // A second process (another runner) cannot enqueue the same type twice either.
    await new PostCallRunner({ store, webhook: { onEnqueued: () => {} } }).run(CALL);
    assert.deepEqual((await store.listWebhooks(CALL)).map((r) => r.type), [
      "call.ended",
      "call.analyzed",
    ]);
  } finally {
    await store.close();
  }
});

Deno.test("post-call [pglite]: a step that throws or hangs never blocks the run nor reaches the caller", async () => {
  const logs = await captureLogs();
  const store = await storeWithCall();
  try {
    const runner = new PostCallRunner({
      store,
      steps: {
        finishRecording: () => {
          throw new Error("disk full");
        },
        settleCallFigures: () => new Promise(() => {}), // never settles
        analyseCall: () => Promise.reject(new Error("model down")),
      },
      parts: {
        recordingLink: () => Promise.resolve("/recordings/relative"),
        cost: () => Promise.reject(new Error("no prices")),
        latency: () => new Promise(() => {}),
      },
      webhook: { onEnqueued: () => {} },
      stepTimeoutMs: 100,
      analysisTimeoutMs: 100,
      partTimeoutMs: 100,
    });
    const started = performance.now();
    runner.onCallEnded(CALL); // returns at once
    assert.ok(performance.now() - started < 20);
    await runner.run(CALL);
    assert.ok(performance.now() - started < 3_000, "bounded by the step and part timeouts");
    const rows = await store.listWebhooks(CALL);
    assert.deepEqual(rows.map((r) => r.type), ["call.ended", "call.analyzed"]);
    const ended = callWebhookPayloadSchema.parse(rows[0]!.payload);
    assert.equal(ended.data.cost, null);
    assert.equal(ended.data.latency, null);
    const failed = logs.find("POST_CALL_STEP_FAILED").map((r) => r.properties.step);
    assert.deepEqual(failed, ["finishRecording", "settleCallFigures", "analyseCall"]);
    assert.ok(logs.find("POST_CALL_STEP_FAILED").every((r) => r.properties.callId === CALL));
    assert.deepEqual(logs.find("CALL_REPORT_PART_FAILED").map((r) => r.properties.part).sort(), [
      "cost",
      "cost",
      "latency",
      "latency",
      "recordingLink",
      "recordingLink",
    ]);
  } finally {
    await store.close();
    await logs.stop();
  }
});

Deno.test("post-call [pglite]: without CALL_WEBHOOK_URL the steps run and nothing is enqueued", async () => {
  const store = await storeWithCall();
  try {
    const f = fakes(store);
    await new PostCallRunner({ store, steps: f.steps, parts: f.parts }).run(CALL);
    assert.equal(f.order.length, 3);
    assert.deepEqual(await store.listWebhooks(CALL), []);
  } finally {
    await store.close();
  }
});

Deno.test("post-call [pglite]: waits, bounded, for the function to close the record", async () => {
  const store = await storeWithCall("active");
  try {
    const runner = new PostCallRunner({ store, webhook: { onEnqueued: () => {} } });
    setTimeout(
      () => void store.transitionCall(CALL, "completed", { endReason: "meta_terminate" }),
      250,
    );
    await runner.run(CALL);
    const [ended] = await store.listWebhooks(CALL);
    const payload = callWebhookPayloadSchema.parse(ended!.payload);
    assert.deepEqual([payload.data.call.status, payload.data.call.endReason], [
      "completed",
      "meta_terminate",
    ]);
    // A record nobody closes holds the run up for recordWaitMs only.
    const other = await storeWithCall("active");
    try {
      const started = performance.now();
      await new PostCallRunner({
        store: other,
        webhook: { onEnqueued: () => {} },
        recordWaitMs: 300,
      })
        .run(CALL);
      assert.ok(performance.now() - started < 2_000);
      const [row] = await other.listWebhooks(CALL);
      assert.equal(callWebhookPayloadSchema.parse(row!.payload).data.call.status, "active");
    } finally {
      await other.close();
    }
  } finally {
    await store.close();
  }
});

Deno.test("post-call [pglite]: an outbox write that fails once is tried again, not lost", async () => {
  const store = await storeWithCall();
  try {
    let failures = 1;
    const flaky: Store = Object.create(store);
    flaky.enqueueWebhook = (w) =>
      failures-- > 0 ? Promise.reject(new Error("connection reset")) : store.enqueueWebhook(w);
    await new PostCallRunner({ store: flaky, webhook: { onEnqueued: () => {} } }).run(CALL);
    assert.deepEqual((await store.listWebhooks(CALL)).map((r) => r.type), [
      "call.ended",
      "call.analyzed",
    ]);
  } finally {
    await store.close();
  }
});
