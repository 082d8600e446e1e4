import assert from "node:assert/strict";
import type { Store } from "./store.ts";
import type { NewCallAnalysis } from "./analysis.ts";
import { testOnBothBackends } from "./backends_test_utils.ts";

const CALL = "wacid.analysis-store";

const FAILED: NewCallAnalysis = {
  callId: CALL,
  status: "failed",
  reason: "http 500: boom",
  summary: null,
  outcome: null,
  fields: null,
  model: "gpt-6-luna",
  usage: null,
  attempts: 4,
};

async function roundTrip(store: Store): Promise<void> {
  assert.equal(await store.getAnalysis(CALL), null);
  const first = await store.saveAnalysis(FAILED);
  assert.deepEqual({ ...first, createdAt: null, updatedAt: null }, {
    ...FAILED,
    createdAt: null,
    updatedAt: null,
  });
  // A later analysis replaces the row whole; text PostgreSQL cannot hold is mended.
  const second = await store.saveAnalysis({
    ...FAILED,
    status: "analysed",
    reason: null,
    summary: "Ana\0 asked \ud800 for a callback.",
    outcome: "callback_requested",
    fields: { customer_name: "Ana", order_number: null, nested: { n: 2 } },
    usage: { inputTokens: 812, inputCachedTokens: 0, outputTokens: 95, outputReasoningTokens: 64 },
    attempts: 1,
  });
  assert.equal(second.summary, "Ana\ufffd asked \ufffd for a callback.");
  assert.deepEqual(second.fields, { customer_name: "Ana", order_number: null, nested: { n: 2 } });
  assert.deepEqual(second.usage, {
    inputTokens: 812,
    inputCachedTokens: 0,
    outputTokens: 95,
    outputReasoningTokens: 64,
  });
  assert.equal(second.reason, null);
  assert.equal(second.createdAt.getTime(), first.createdAt.getTime());
  assert.deepEqual(await store.getAnalysis(CALL), second);
  await assert.rejects(store.saveAnalysis({ ...FAILED, status: "pending" as "failed" }), /check/);
}

testOnBothBackends("analysis store", "saved, replaced whole, read back", roundTrip);
