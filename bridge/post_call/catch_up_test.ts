import assert from "node:assert/strict";
import { testOnBothBackends } from "../../store/backends_test_utils.ts";
import type { Store } from "../../store/store.ts";
import { generateWebhookSecret } from "../../lib/webhooks/standard_webhooks.ts";
import { until } from "../../tests/support/until.ts";
import { analyseCall } from "../analysis/analyse_call.ts";
import { loadAnalysisConfig } from "../analysis/analysis_config.ts";
import { startPostCall } from "./start_post_call.ts";
import { startPostCallCatchUp } from "./catch_up.ts";
import { Receiver } from "./_test_utils.ts";

const MINUTE = 60_000;

/** A call a bridge held, ended `agoMs` ago. */
async function endedCall(store: Store, callId: string, agoMs: number, session = true) {
  await store.upsertCall({
    callId,
    status: "completed",
    endedAt: new Date(Date.now() - agoMs),
    bridgeSessionId: session ? `s-${callId}` : null,
  });
}

testOnBothBackends(
  "post-call catch-up",
  "a call whose bridge died before its post-call run is analysed and its webhooks delivered by another bridge",
  async (store) => {
    await endedCall(store, "wacid.orphan", 20 * MINUTE);
    await endedCall(store, "wacid.recent", 1 * MINUTE); // its own bridge may still be at it
    await endedCall(store, "wacid.nosession", 20 * MINUTE, false); // rejected before any bridge
    const secret = generateWebhookSecret();
    const receiver = new Receiver(secret).up();
    const analysis = loadAnalysisConfig({}, () => undefined, {
      agent: "echo",
      realtimeUrl: "wss://api.openai.com/v1/realtime",
      apiKey: undefined,
    });
    const postCall = startPostCall({
      env: { CALL_WEBHOOK_URL: receiver.url(), CALL_WEBHOOK_SECRET: secret },
      store,
      steps: { analyseCall: (callId) => analyseCall({ store, config: analysis }, callId) },
    });
    try {
      await until(() => receiver.received.length >= 2, 10_000, "both webhooks delivered");
      const types = receiver.received.map((r) => JSON.parse(r.body).type);
      assert.deepEqual(types, ["call.ended", "call.analyzed"]);
      assert.ok(
        receiver.received.every((r) => JSON.parse(r.body).data.call.id === "wacid.orphan"),
      );
      assert.equal((await store.getAnalysis("wacid.orphan"))?.status, "not_analysed");
      assert.equal(await store.getAnalysis("wacid.recent"), null);
      assert.equal(await store.getAnalysis("wacid.nosession"), null);
      // Finished now: the next sweep finds nothing to do.
      assert.deepEqual(
        await store.listPostCallBacklog({
          endedAfter: new Date(0),
          endedBefore: new Date(Date.now() - 10 * MINUTE),
          webhooks: true,
          limit: 10,
        }),
        [],
      );
    } finally {
      await postCall.stop();
      await receiver.down();
    }
  },
);

testOnBothBackends(
  "post-call catch-up",
  "a run the database interrupted is run again, once, by the next sweep",
  async (store) => {
    await endedCall(store, "wacid.outage", 20 * MINUTE);
    const runs: string[] = [];
    let healthy = false;
    const catchUp = startPostCallCatchUp({
      store,
      webhooks: false,
      intervalMs: 3_600_000,
      runAgain: async (callId) => {
        runs.push(callId);
        if (!healthy) return; // the database was down: nothing stored
        await store.saveAnalysis({
          callId,
          status: "not_analysed",
          reason: "no_api_key",
          summary: null,
          outcome: null,
          fields: null,
          model: null,
          usage: null,
          attempts: 0,
        });
      },
    });
    try {
      await until(() => runs.length === 1, 5_000, "the start-up sweep");
      healthy = true;
      assert.deepEqual(await catchUp.sweep(), ["wacid.outage"]);
      assert.deepEqual(await catchUp.sweep(), []);
      assert.deepEqual(runs, ["wacid.outage", "wacid.outage"]);
    } finally {
      await catchUp.stop();
    }
  },
);
