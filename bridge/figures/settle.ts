/**
 * A call's figures, settled once it has ended: its cost (OpenAI's usage at
 * the price table's rates, plus Meta's pulses for business-initiated calls)
 * and its latency (each turn the session measured, p50/p95, and the set-up
 * figures), stored in `voice_call_figures` and counted in `/metrics`.
 *
 * The latency figures come from call events: `turn_latency` and
 * `first_agent_audio`, which the session records as it measures them, and the
 * Edge Function's `accepted` (`webhookToAcceptMs`).
 *
 * @module
 */
import type { Store } from "../../store/store.ts";
import type { CallFigures } from "../../store/figures.ts";
import {
  DEFAULT_PRICES,
  type ModelCost,
  modelCost,
  type PriceTable,
  roundUsd,
} from "../../lib/figures/pricing.ts";
import {
  DEFAULT_META_CALL_PRICING,
  type MetaCallPricing,
  type MetaCharge,
  metaCharge,
} from "../../lib/figures/meta_charge.ts";
import { percentile } from "../../lib/figures/turn_latency.ts";
import { type FiguresMetrics, figuresMetrics } from "./figures_metrics.ts";

/** The event a session records per measured turn (`data.ms`). */
export const TURN_LATENCY_EVENT = "turn_latency";
/** The event a session records at the first agent audio frame on the wire (`data.afterAcceptMs`). */
export const FIRST_AGENT_AUDIO_EVENT = "first_agent_audio";
/** The Edge Function's event when Meta's accept succeeded (`data.webhookToAcceptMs`). */
export const ACCEPTED_EVENT = "accepted";

/** What a call cost, USD (the webhook's `cost`). */
export interface CallCost {
  currency: "USD";
  totalUsd: number;
  openai: { totalUsd: number; models: ModelCost[] };
  meta: MetaCharge;
  /** `model.priceKey` of usage the table has no price for (not in the total). */
  unpriced: string[];
}

/** How fast the agent answered (the webhook's `latency`), ms. */
export interface CallLatency {
  turns: number;
  p50Ms: number | null;
  p95Ms: number | null;
  turnsMs: number[];
  /** Connect webhook received → Graph `accept` sent (Edge Function). */
  webhookToAcceptMs: number | null;
  /** `accept` → first agent audio frame on the wire (bridge). */
  acceptToFirstAudioMs: number | null;
}

/** Both, as {@linkcode settleCallFigures} returns them. */
export interface SettledFigures {
  cost: CallCost;
  latency: CallLatency;
}

/** Prices and where to count spend; every field has a default. */
export interface SettleOptions {
  /** @default DEFAULT_PRICES */
  prices?: PriceTable;
  /** @default DEFAULT_META_CALL_PRICING (all zero) */
  metaPricing?: MetaCallPricing;
  /** @default the process's `/metrics` figures */
  metrics?: FiguresMetrics;
}

/** Computes the call's cost and latency, stores them and counts the spend; returns them. */
export async function settleCallFigures(
  store: Store,
  callId: string,
  options: SettleOptions = {},
): Promise<SettledFigures> {
  const [cost, latency] = await Promise.all([
    computeCost(store, callId, options),
    computeLatency(store, callId),
  ]);
  const previous = await store.getFigures(callId);
  await store.saveFigures({
    callId,
    costUsd: cost.totalUsd,
    cost: toJson(cost),
    turnCount: latency.turns,
    turnP50Ms: latency.p50Ms,
    turnP95Ms: latency.p95Ms,
    webhookToAcceptMs: latency.webhookToAcceptMs,
    acceptToFirstAudioMs: latency.acceptToFirstAudioMs,
    latency: toJson(latency),
  });
  // Settling again (a retried runner) must not count the spend twice.
  if (previous === null) {
    const metrics = options.metrics ?? figuresMetrics;
    metrics.addSpend("openai", cost.openai.totalUsd);
    metrics.addSpend("meta", cost.meta.usd);
  }
  return { cost, latency };
}

/** The stored cost of the call, or `null` before it was settled. */
export async function callCost(store: Store, callId: string): Promise<CallCost | null> {
  const row = await store.getFigures(callId);
  return row === null ? null : row.cost as unknown as CallCost;
}

/** The stored latency figures of the call, or `null` before it was settled. */
export async function callLatency(store: Store, callId: string): Promise<CallLatency | null> {
  const row = await store.getFigures(callId);
  return row === null ? null : row.latency as unknown as CallLatency;
}

async function computeCost(
  store: Store,
  callId: string,
  options: SettleOptions,
): Promise<CallCost> {
  const prices = options.prices ?? DEFAULT_PRICES;
  const [usage, call] = await Promise.all([store.listUsage(callId), store.getCall(callId)]);
  const models = usage.map((row) => modelCost(row, prices));
  const openaiUsd = roundUsd(models.reduce((sum, m) => sum + m.totalUsd, 0));
  const seconds = call?.acceptedAt && call.endedAt
    ? (call.endedAt.getTime() - call.acceptedAt.getTime()) / 1000
    : call?.durationSeconds ?? 0;
  // The callee of a business-initiated call is Meta's `to`.
  const meta = metaCharge(
    call?.direction ?? null,
    seconds,
    call?.toNumber ?? null,
    options.metaPricing ?? DEFAULT_META_CALL_PRICING,
  );
  return {
    currency: "USD",
    totalUsd: roundUsd(openaiUsd + meta.usd),
    openai: { totalUsd: openaiUsd, models },
    meta,
    unpriced: models.flatMap((m) => m.unpriced.map((k) => `${m.model}.${k}`)),
  };
}

async function computeLatency(store: Store, callId: string): Promise<CallLatency> {
  const events = await store.listEvents(callId);
  const turnsMs: number[] = [];
  let webhookToAcceptMs: number | null = null;
  let acceptToFirstAudioMs: number | null = null;
  for (const event of events) {
    const data = event.data as Record<string, unknown> | null;
    if (event.name === TURN_LATENCY_EVENT) {
      const ms = numberField(data, "ms");
      if (ms !== null) turnsMs.push(ms);
    } else if (event.name === FIRST_AGENT_AUDIO_EVENT) {
      acceptToFirstAudioMs ??= numberField(data, "afterAcceptMs");
    } else if (event.name === ACCEPTED_EVENT) {
      webhookToAcceptMs ??= numberField(data, "webhookToAcceptMs");
    }
  }
  return {
    turns: turnsMs.length,
    p50Ms: percentile(turnsMs, 50),
    p95Ms: percentile(turnsMs, 95),
    turnsMs,
    webhookToAcceptMs,
    acceptToFirstAudioMs,
  };
}

function numberField(data: Record<string, unknown> | null, key: string): number | null {
  const value = data?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function toJson(value: CallCost | CallLatency): CallFigures["cost"] {
  return JSON.parse(JSON.stringify(value));
}
