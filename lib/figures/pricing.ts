/**
 * What a call cost OpenAI-side: a price table per model (USD per 1M tokens by
 * kind, or per minute of transcribed audio) applied to the usage counters the
 * bridge stores per call and model (`lib/realtime/usage.ts`).
 *
 * Defaults cover the bridge's default models, from OpenAI's model pages
 * (checked 2026-12-07):
 * - gpt-realtime-2.1: https://developers.openai.com/api/docs/models/gpt-realtime-2.1
 *   text $4 in / $0.40 cached in / $24 out; audio $32 in / $0.40 cached in / $64 out.
 * - gpt-live-transcribe: https://developers.openai.com/api/docs/models/gpt-live-transcribe
 *   $0.017 per minute of realtime audio. Whether it reports `usage` as seconds
 *   (priced here) or as tokens is unconfirmed; token usage of a per-minute
 *   model is reported as unpriced rather than guessed.
 *
 * @module
 */
import { z } from "zod";
import type { UsageIncrement } from "../realtime/usage.ts";

const usd = z.number().finite().nonnegative();

/** One model's prices: USD per 1M tokens by kind, or per minute of audio. */
export const modelPriceSchema = z.strictObject({
  textInPerMTok: usd.optional(),
  textCachedInPerMTok: usd.optional(),
  textOutPerMTok: usd.optional(),
  audioInPerMTok: usd.optional(),
  audioCachedInPerMTok: usd.optional(),
  audioOutPerMTok: usd.optional(),
  /** Transcription billed by duration (`usage.type: "duration"`). */
  audioPerMinute: usd.optional(),
});

/** A model's prices. */
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** The price table: by model id, exactly as the bridge stores usage under it. */
export const priceTableSchema = z.strictObject({
  models: z.record(z.string().min(1), modelPriceSchema),
});

/** Prices per model. */
export type PriceTable = z.infer<typeof priceTableSchema>;

/** Prices of the default models (see the module doc for the sources). */
export const DEFAULT_PRICES: PriceTable = {
  models: {
    "gpt-realtime-2.1": {
      textInPerMTok: 4,
      textCachedInPerMTok: 0.4,
      textOutPerMTok: 24,
      audioInPerMTok: 32,
      audioCachedInPerMTok: 0.4,
      audioOutPerMTok: 64,
    },
    "gpt-live-transcribe": { audioPerMinute: 0.017 },
  },
};

/** A bad `PRICING` value; the message names the field. */
export class PricingError extends Error {
  override name = "PricingError";
}

/**
 * Parses `PRICING` JSON text; its models are added to (and override) the
 * defaults. Throws {@linkcode PricingError} naming the bad field.
 */
export function parsePriceTable(text: string, base: PriceTable = DEFAULT_PRICES): PriceTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PricingError(`PRICING is not JSON: ${(error as Error).message}`);
  }
  const parsed = priceTableSchema.safeParse(json);
  if (!parsed.success) throw new PricingError(`PRICING: ${describeIssue(parsed.error)}`);
  return { models: { ...base.models, ...parsed.data.models } };
}

/** `models.x.audioInPerMTok: Invalid input…` for the first issue. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".") || "(root)";
  return `${path}: ${issue.message}`;
}

/** One model's share of a call's cost, by kind, in USD. */
export interface ModelCost {
  model: string;
  textInUsd: number;
  textCachedInUsd: number;
  textOutUsd: number;
  audioInUsd: number;
  audioCachedInUsd: number;
  audioOutUsd: number;
  transcriptionUsd: number;
  totalUsd: number;
  /** Counters with usage but no price in the table (their cost is not in the total). */
  unpriced: string[];
}

type Counters = Omit<UsageIncrement, "model">;

const PER_TOKEN: readonly [keyof ModelCost, keyof ModelPrice, (u: Counters) => number][] = [
  ["textInUsd", "textInPerMTok", (u) => u.inputTextTokens - u.inputCachedTextTokens],
  ["textCachedInUsd", "textCachedInPerMTok", (u) => u.inputCachedTextTokens],
  ["textOutUsd", "textOutPerMTok", (u) => u.outputTextTokens],
  ["audioInUsd", "audioInPerMTok", (u) => u.inputAudioTokens - u.inputCachedAudioTokens],
  ["audioCachedInUsd", "audioCachedInPerMTok", (u) => u.inputCachedAudioTokens],
  ["audioOutUsd", "audioOutPerMTok", (u) => u.outputAudioTokens],
];

/**
 * Rounds to a billionth of a dollar: sums of float products show noise far
 * below that, and a token at $0.40 per 1M is still 400 of them.
 */
export function roundUsd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/**
 * One model's cost: cached input (a subset of input, per OpenAI) at the cached
 * rate, the rest at the full rate; duration-billed audio per minute.
 */
export function modelCost(usage: UsageIncrement, table: PriceTable): ModelCost {
  const price = table.models[usage.model];
  const out: ModelCost = {
    model: usage.model,
    textInUsd: 0,
    textCachedInUsd: 0,
    textOutUsd: 0,
    audioInUsd: 0,
    audioCachedInUsd: 0,
    audioOutUsd: 0,
    transcriptionUsd: 0,
    totalUsd: 0,
    unpriced: [],
  };
  for (const [field, priceKey, count] of PER_TOKEN) {
    const n = Math.max(0, count(usage));
    if (n === 0) continue;
    const rate = price?.[priceKey];
    if (rate === undefined) out.unpriced.push(priceKey);
    else out[field as "textInUsd"] = roundUsd((n / 1e6) * rate);
  }
  if (usage.audioSeconds > 0) {
    const rate = price?.audioPerMinute;
    if (rate === undefined) out.unpriced.push("audioPerMinute");
    else out.transcriptionUsd = roundUsd((usage.audioSeconds / 60) * rate);
  }
  out.totalUsd = roundUsd(
    out.textInUsd + out.textCachedInUsd + out.textOutUsd + out.audioInUsd +
      out.audioCachedInUsd + out.audioOutUsd + out.transcriptionUsd,
  );
  return out;
}
