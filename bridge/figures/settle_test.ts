import assert from "node:assert/strict";
import { openStore } from "../../store/open.ts";
import type { Store } from "../../store/store.ts";
import { emptyUsage } from "../../lib/realtime/usage.ts";
import { parseMetaCallPricing } from "../../lib/figures/meta_charge.ts";
import { callCost, callLatency, settleCallFigures } from "./settle.ts";
import { FiguresMetrics } from "./figures_metrics.ts";

const ACCEPTED = new Date("2026-12-07T10:00:00Z");

async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ pgliteDir: "memory://" });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

Deno.test("settle: an echo call (no usage, user-initiated) costs zero, stored", async () => {
  await withStore(async (store) => {
    await store.upsertCall({
      callId: "wacid.echo",
      direction: "user_initiated",
      acceptedAt: ACCEPTED,
      endedAt: new Date(ACCEPTED.getTime() + 95_000),
    });
    await store.recordEvent({ callId: "wacid.echo", name: "turn_latency", data: { ms: 520 } });
    const metrics = new FiguresMetrics();
    const { cost, latency } = await settleCallFigures(store, "wacid.echo", { metrics });
    assert.equal(cost.totalUsd, 0);
    assert.deepEqual([cost.meta.usd, cost.meta.pulses, cost.openai.models], [0, 0, []]);
    assert.deepEqual(await callCost(store, "wacid.echo"), cost);
    assert.deepEqual(await callLatency(store, "wacid.echo"), latency);
    assert.equal(latency.p50Ms, 520);
    assert.equal((await store.getFigures("wacid.echo"))?.costUsd, 0);
    assert.deepEqual(metrics.spendUsd, { openai: 0, meta: 0 });
  });
});

Deno.test("settle: OpenAI usage and Meta's pulses, with the breakdown and latency stored", async () => {
  await withStore(async (store) => {
    const callId = "wacid.bic";
    await store.upsertCall({
      callId,
      direction: "business_initiated",
      toNumber: "447700900123",
      acceptedAt: ACCEPTED,
      endedAt: new Date(ACCEPTED.getTime() + 56_000), // 10 pulses
    });
    await store.addUsage({
      callId,
      ...emptyUsage("gpt-realtime-2.1"),
      requests: 4,
      inputAudioTokens: 1000,
      inputCachedAudioTokens: 400,
      outputAudioTokens: 2000,
    });
    await store.addUsage({
      callId,
      ...emptyUsage("gpt-live-transcribe"),
      requests: 2,
      audioSeconds: 30,
    });
    for (const ms of [900, 700, 800, 1500]) {
      await store.recordEvent({ callId, name: "turn_latency", data: { ms } });
    }
    await store.recordEvent({ callId, name: "first_agent_audio", data: { afterAcceptMs: 410 } });
    await store.recordEvent({
      callId,
      name: "accepted",
      data: { sessionId: "s", webhookToAcceptMs: 180 },
    });
    const metrics = new FiguresMetrics();
    const metaPricing = parseMetaCallPricing('{"perMinuteUsd":{"44":0.06}}');
    const settled = await settleCallFigures(store, callId, { metrics, metaPricing });
    const openai = (600 * 32 + 400 * 0.4 + 2000 * 64) / 1e6 + 0.5 * 0.017;
    assert.ok(
      Math.abs(settled.cost.openai.totalUsd - openai) < 1e-9,
      `${settled.cost.openai.totalUsd}`,
    );
    assert.deepEqual(
      [settled.cost.meta.pulses, settled.cost.meta.countryCode, settled.cost.meta.usd],
      [10, "44", 0.06],
    );
    assert.ok(Math.abs(settled.cost.totalUsd - (openai + 0.06)) < 1e-9);
    assert.deepEqual(settled.latency, {
      turns: 4,
      p50Ms: 800,
      p95Ms: 1500,
      turnsMs: [900, 700, 800, 1500],
      webhookToAcceptMs: 180,
      acceptToFirstAudioMs: 410,
    });
    const row = await store.getFigures(callId);
    assert.deepEqual(
      [row?.turnCount, row?.turnP50Ms, row?.turnP95Ms, row?.webhookToAcceptMs],
      [4, 800, 1500, 180],
    );
    assert.deepEqual(await callCost(store, callId), settled.cost);
    // Settled twice (a retried runner): stored again, counted once.
    await settleCallFigures(store, callId, { metrics, metaPricing });
    assert.ok(Math.abs(metrics.spendUsd.openai - openai) < 1e-9);
    assert.equal(metrics.spendUsd.meta, 0.06);
  });
});

Deno.test("settle: the read side answers null for a call not settled", async () => {
  await withStore(async (store) => {
    assert.equal(await callCost(store, "wacid.none"), null);
    assert.equal(await callLatency(store, "wacid.none"), null);
  });
});

Deno.test("figures metrics: spend counter and turn latency histogram in Prometheus text", () => {
  const m = new FiguresMetrics();
  m.addSpend("openai", 0.25);
  m.addSpend("meta", 0.06);
  m.addSpend("meta", -1);
  m.recordTurn(350);
  m.recordTurn(820);
  const text = m.render();
  assert.match(text, /^wa_call_spend_usd_total\{component="openai"\} 0\.25$/m);
  assert.match(text, /^wa_call_spend_usd_total\{component="meta"\} 0\.06$/m);
  assert.match(text, /^# TYPE wa_turn_latency_seconds histogram$/m);
  assert.match(text, /^wa_turn_latency_seconds_bucket\{le="0\.3"\} 0$/m);
  assert.match(text, /^wa_turn_latency_seconds_bucket\{le="0\.4"\} 1$/m);
  assert.match(text, /^wa_turn_latency_seconds_bucket\{le="1"\} 2$/m);
  assert.match(text, /^wa_turn_latency_seconds_bucket\{le="\+Inf"\} 2$/m);
  assert.match(text, /^wa_turn_latency_seconds_sum 1\.17$/m);
  assert.match(text, /^wa_turn_latency_seconds_count 2$/m);
});
