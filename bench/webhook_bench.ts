/**
 * Signalling latency: a signed `connect` webhook POSTed to `wa-webhook-core` on
 * the local functions server (real loopback HTTP) until the fake Graph API
 * receives `pre_accept`, through supabase-js `functions.invoke`, the
 * voice-calls function, an in-memory PGlite store and an instant fake bridge.
 *
 * @module
 */

import { type BenchSuite, type Figure, percentile } from "./figure.ts";
import { signWebhook } from "../simulator/meta_webhooks.ts";
import { functionsServerRig, newCallId, offerFor, TEST_ENV } from "../tests/functions/harness.ts";
import { openStore } from "../store/open.ts";

const CALLS = 200;
const WARMUP = 10;

/** Milliseconds from POST to `pre_accept` for `count` fresh calls, one after another. */
async function measure(count: number): Promise<number[]> {
  const store = await openStore({ pgliteDir: "memory://" });
  const { graph, core, close } = await functionsServerRig(store);
  const preAcceptAt = new Map<string, number>();
  graph.onRequest((r) => {
    if (r.action === "pre_accept" && r.callId !== undefined) {
      preAcceptAt.set(r.callId, performance.now());
    }
  });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const callId = newCallId();
      const webhook = await signWebhook(offerFor(callId), TEST_ENV.WHATSAPP_APP_SECRET);
      graph.observeWebhook(webhook);
      const t0 = performance.now();
      const res = await fetch(core, {
        method: "POST",
        headers: webhook.headers,
        body: webhook.body,
      });
      await res.body?.cancel();
      if (res.status !== 200) throw new Error(`core answered ${res.status}`);
      await graph.waitFor("pre_accept", callId);
      latencies.push(preAcceptAt.get(callId)! - t0);
      // The call completes before the next one starts, as separate calls would.
      await graph.waitFor("accept", callId);
    }
  } finally {
    await close();
    await store.close();
  }
  return latencies;
}

/** The webhook → pre_accept latency figures. */
export const suite: BenchSuite = {
  name: "supabase/functions webhook → pre_accept",
  async run(): Promise<Figure[]> {
    const all = await measure(WARMUP + CALLS);
    const ms = all.slice(WARMUP);
    return [
      {
        name: `connect webhook → pre_accept p50 (${CALLS} calls)`,
        value: percentile(ms, 50),
        unit: "ms",
        op: "<=",
        target: 20,
      },
      {
        name: `connect webhook → pre_accept p99 (${CALLS} calls)`,
        value: percentile(ms, 99),
        unit: "ms",
        op: "<=",
        target: 60,
      },
    ];
  },
};
