import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { loadConfig } from "../config.ts";
import { FakeRealtimeServer } from "../../tests/fakes/openai_realtime.ts";
import type { ResponsesFault } from "../../tests/fakes/openai_responses.ts";
import { postgresAvailable, withTestDatabase } from "../../tests/support/postgres.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";
import { analyseCall, type AnalysisDeps, callAnalysis, transcriptText } from "./analyse_call.ts";
import type { AnalysisConfig } from "./analysis_config.ts";

const CALL = "wacid.analysis-test";
const SECRET = "bridge-secret-0123456789";

const CONVERSATION: [speaker: "caller" | "agent", text: string, interrupted?: boolean][] = [
  ["agent", "Hello, this is Acme. How can I help?"],
  ["caller", "Hi, my name is Ana and my order number is AB-1234."],
  ["agent", "Thanks Ana, let me look that up", true],
  ["caller", "It never arrived. Please arrange a callback tomorrow."],
  ["agent", "Of course, we will call you back tomorrow."],
];

async function seed(store: Store, lines = CONVERSATION): Promise<void> {
  await store.upsertCall({ callId: CALL, status: "completed", direction: "user_initiated" });
  const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);
  for (const [i, [speaker, text, interrupted]] of lines.entries()) {
    await store.addTranscript({
      callId: CALL,
      speaker,
      text,
      startedAt: new Date(t0 + i * 4000),
      endedAt: new Date(t0 + i * 4000 + 3000),
      interrupted,
    });
  }
}

function analysisConfig(vars: Record<string, string>): AnalysisConfig {
  return loadConfig({ VOICE_BRIDGE_SECRET: SECRET, ...vars }).analysis;
}

interface Harness {
  fake: FakeRealtimeServer;
  store: Store;
  deps: AnalysisDeps;
  waits: number[];
}

/** A fake OpenAI, a migrated PGlite store with the conversation, and deps pointing at both. */
async function harness(
  fn: (h: Harness) => Promise<void>,
  options: { vars?: Record<string, string>; faults?: ResponsesFault[]; url?: string } = {},
): Promise<void> {
  const fake = FakeRealtimeServer.start();
  const store = await openStore(
    options.url === undefined ? { pgliteDir: "memory://" } : { url: options.url, migrate: true },
  );
  try {
    await seed(store);
    fake.textApi.failNext(...(options.faults ?? []));
    const waits: number[] = [];
    const config = analysisConfig({
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_REALTIME_URL: fake.url,
      ...options.vars,
    });
    const sleep = (ms: number) => (waits.push(ms), Promise.resolve());
    await fn({ fake, store, deps: { store, config, sleep }, waits });
  } finally {
    await store.close();
    await fake.close();
  }
}

async function happyPath(h: Harness): Promise<void> {
  const result = await analyseCall(h.deps, CALL);
  assert.equal(result.status, "analysed", result.reason ?? "");
  assert.equal(result.outcome, "callback_requested");
  assert.deepEqual(result.fields, { customer_name: "Ana", order_number: "AB-1234" });
  assert.equal(result.summary, "Caller said: Hi, my name is Ana and my order number is AB-1234.");
  assert.equal(result.model, "gpt-6-luna");
  assert.equal(result.attempts, 1);
  assert.ok(result.usage !== null && result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
  // One request, strict json_schema over the Responses API, the transcript as input.
  assert.equal(h.fake.textApi.requests.length, 1);
  const body = h.fake.textApi.requests[0]!;
  assert.equal(body.model, "gpt-6-luna");
  assert.equal(body.store, false);
  assert.deepEqual(
    (body.text as { format: { type: string; strict: boolean } }).format.type,
    "json_schema",
  );
  assert.equal((body.text as { format: { strict: boolean } }).format.strict, true);
  assert.match(String(body.input), /\[00:08\] Agent: Thanks Ana, let me look that up \[cut off/);
  // Stored with the call, and read back for the webhook.
  assert.deepEqual(await h.store.getAnalysis(CALL), result);
  const report = await callAnalysis(h.store, CALL);
  assert.equal(report?.outcome, "callback_requested");
  assert.equal(report?.analysedAt, result.updatedAt.toISOString());
  // Analysed once: running the post-call steps again sends nothing.
  assert.deepEqual(await analyseCall(h.deps, CALL), result);
  assert.equal(h.fake.textApi.requests.length, 1);
}

Deno.test("analysis [pglite]: summary, outcome from the list and fields, stored with the call", async () => {
  await harness(happyPath);
});

Deno.test({
  name: "analysis [postgres]: the same on a real PostgreSQL server",
  ignore: !postgresAvailable(),
  fn: () => withTestDatabase((db) => harness(happyPath, { url: db.url })),
});

Deno.test("analysis: the echo agent is not analysed, and no request is made", async () => {
  await harness(async (h) => {
    const logs = await captureLogs();
    try {
      const deps = {
        ...h.deps,
        config: analysisConfig({ AGENT: "echo", OPENAI_API_KEY: h.fake.apiKey }),
      };
      const result = await analyseCall(deps, CALL);
      assert.deepEqual([result.status, result.reason, result.outcome], [
        "not_analysed",
        "echo_agent",
        null,
      ]);
      assert.equal(h.fake.textApi.requests.length, 0);
      assert.equal(logs.find("CALL_NOT_ANALYSED")[0]?.properties.callId, CALL);
    } finally {
      await logs.stop();
    }
  });
});

Deno.test("analysis: without OPENAI_API_KEY the call is not analysed and never failed", async () => {
  await harness(async (h) => {
    const deps = { ...h.deps, config: analysisConfig({}) };
    const result = await analyseCall(deps, CALL);
    assert.deepEqual([result.status, result.reason], ["not_analysed", "no_api_key"]);
    assert.equal(h.fake.textApi.requests.length, 0);
    assert.equal((await h.store.getCall(CALL))?.status, "completed");
    assert.equal((await h.store.getAnalysis(CALL))?.status, "not_analysed");
  });
});

Deno.test("analysis: a call where the caller never spoke is abandoned, without a request", async () => {
  await harness(async (h) => {
    await h.store.upsertCall({ callId: "wacid.silent", status: "completed" });
    await h.store.addTranscript({
      callId: "wacid.silent",
      speaker: "agent",
      text: "Hello, this is Acme. How can I help?",
      startedAt: new Date(),
      endedAt: new Date(),
    });
    const result = await analyseCall(h.deps, "wacid.silent");
    assert.deepEqual([result.status, result.outcome, result.reason], [
      "analysed",
      "abandoned",
      "no_caller_speech",
    ]);
    assert.equal(h.fake.textApi.requests.length, 0);
  });
});

Deno.test("analysis: a 429 is retried after its Retry-After, then succeeds", async () => {
  await harness(async (h) => {
    const result = await analyseCall(h.deps, CALL);
    assert.equal(result.status, "analysed");
    assert.equal(result.attempts, 2);
    assert.deepEqual(h.waits, [2000]);
    assert.equal(h.fake.textApi.requests.length, 2);
  }, { faults: [{ kind: "status", status: 429, retryAfter: "2" }] });
});

Deno.test("analysis: 500s are retried with backoff, a few times only", async () => {
  const fault: ResponsesFault = { kind: "status", status: 500 };
  await harness(async (h) => {
    const result = await analyseCall(h.deps, CALL);
    assert.equal(result.status, "failed");
    assert.match(result.reason ?? "", /^http 500: The server had an error/);
    assert.equal(result.attempts, 4);
    assert.equal(h.waits.length, 3);
    assert.ok(h.waits.every((ms, i) => ms > 0 && (i === 0 || ms > h.waits[i - 1]!)), `${h.waits}`);
  }, { faults: [fault, fault, fault, fault, fault] });
});

Deno.test("analysis: insufficient_quota and a refused key are not retried", async () => {
  await harness(async (h) => {
    const result = await analyseCall(h.deps, CALL);
    assert.equal(result.status, "failed");
    assert.match(result.reason ?? "", /^http 429 insufficient_quota/);
    assert.equal(result.attempts, 1);
    h.fake.apiKey = "sk-rotated-key-0000";
    const refused = await analyseCall(h.deps, CALL);
    assert.equal(refused.reason, "http 401 invalid_api_key: OpenAI refused OPENAI_API_KEY");
    assert.equal(refused.attempts, 1);
  }, { faults: [{ kind: "status", status: 429, code: "insufficient_quota" }] });
});

Deno.test("analysis: output that is not JSON is stored as failed with the reason", async () => {
  await harness(async (h) => {
    const result = await analyseCall(h.deps, CALL);
    assert.deepEqual([result.status, result.reason], ["failed", "the model's output is not JSON"]);
    assert.ok(result.usage !== null, "the tokens were spent all the same");
    assert.equal((await h.store.getAnalysis(CALL))?.status, "failed");
    // A failed analysis is tried again on the next run.
    assert.equal((await analyseCall(h.deps, CALL)).status, "analysed");
  }, { faults: [{ kind: "malformed" }] });
});

Deno.test("analysis: output off the schema, a refusal and an incomplete answer fail with reasons", async () => {
  await harness(async (h) => {
    const reasons = [];
    for (let i = 0; i < 3; i++) reasons.push((await analyseCall(h.deps, CALL)).reason);
    assert.match(reasons[0]!, /^the model's output breaks the schema at outcome/);
    assert.equal(reasons[1], "refused: I'm sorry, I can't help with that.");
    assert.equal(reasons[2], "incomplete: max_output_tokens");
  }, { faults: [{ kind: "off_schema" }, { kind: "refusal" }, { kind: "incomplete" }] });
});

Deno.test("analysis: each request has a deadline", async () => {
  await harness(async (h) => {
    const deps = { ...h.deps, config: { ...h.deps.config, timeoutMs: 100, maxAttempts: 2 } };
    const result = await analyseCall(deps, CALL);
    assert.deepEqual([result.status, result.reason, result.attempts], [
      "failed",
      "no answer within 100 ms",
      2,
    ]);
  }, { faults: [{ kind: "stall", ms: 400 }, { kind: "stall", ms: 400 }] });
});

Deno.test("analysis: configured outcomes and fields are what the model must return", async () => {
  const fields = JSON.stringify({
    type: "object",
    properties: { booking_number: { type: ["string", "null"] }, party: { type: "integer" } },
    required: ["booking_number", "party"],
    additionalProperties: false,
  });
  await harness(async (h) => {
    const result = await analyseCall(h.deps, CALL);
    assert.equal(result.outcome, "refund");
    assert.deepEqual(result.fields, { booking_number: "AB-1234", party: 0 });
  }, { vars: { ANALYSIS_OUTCOMES: "refund,abandoned", ANALYSIS_FIELDS: fields } });
});

Deno.test("analysis: a store that fails never throws into the post-call path", async () => {
  await harness(async (h) => {
    const broken = {
      ...h.deps,
      store: {
        getAnalysis: () => Promise.reject(new Error("connection refused")),
        listTranscripts: () => Promise.reject(new Error("connection refused")),
        saveAnalysis: () => Promise.reject(new Error("connection refused")),
      },
    };
    const result = await analyseCall(broken, CALL);
    assert.deepEqual([result.status, result.reason], [
      "failed",
      "could not read the call: connection refused",
    ]);
  });
});

Deno.test("transcript text: a long transcript keeps its start and end", () => {
  const line = (i: number) => ({
    id: i,
    callId: CALL,
    speaker: "caller" as const,
    text: `line ${i} ${"x".repeat(1000)}`,
    startedAt: new Date(i * 1000),
    endedAt: new Date(i * 1000),
    interrupted: false,
    createdAt: new Date(0),
  });
  const text = transcriptText(Array.from({ length: 400 }, (_, i) => line(i)));
  assert.ok(text.length < 200_100);
  assert.match(text, /^\[00:00\] Caller: line 0 /);
  assert.match(text, /characters of the transcript left out/);
  assert.match(text, /line 399 x+$/);
});
