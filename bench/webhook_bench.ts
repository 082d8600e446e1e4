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
import { verifyMetaSignature } from "../lib/whatsapp/signature.ts";
import { MAX_WEBHOOK_BODY_BYTES } from "../supabase/functions/_shared/body.ts";
import { planWebhook } from "../supabase/functions/wa-webhook-core/route.ts";

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

/**
 * Milliseconds to verify and route a signed `connect` padded to just under
 * the 1 MiB body limit (the padding an unknown field, as Meta may add one).
 */
async function measureLargeRoute(runs: number): Promise<number[]> {
  const callId = newCallId();
  const offer = offerFor(callId);
  const padding = "x".repeat(MAX_WEBHOOK_BODY_BYTES - JSON.stringify(offer).length - 32);
  const webhook = await signWebhook({ ...offer, padding }, TEST_ENV.WHATSAPP_APP_SECRET);
  const bytes = new TextEncoder().encode(webhook.body);
  const signature = webhook.headers["x-hub-signature-256"];
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    if (!await verifyMetaSignature(bytes, signature, TEST_ENV.WHATSAPP_APP_SECRET)) {
      throw new Error("signature refused");
    }
    const plan = planWebhook(new TextDecoder().decode(bytes));
    ms.push(performance.now() - t0);
    if (plan.calls[0]?.callIds[0] !== callId) throw new Error("the call was not routed");
  }
  return ms;
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
      {
        name: "1 MiB signed webhook verified and routed, max of 20",
        value: Math.max(...(await measureLargeRoute(25)).slice(5)),
        unit: "ms",
        op: "<=",
        target: 50,
      },
    ];
  },
};
