/**
 * What OpenAI bills for a call, as counters per model: the `usage` of each
 * `response.done` (realtime tokens by kind) and of each caller transcription
 * (tokens, or seconds for models billed by audio duration). Summed per call
 * and model, they are what a cost per call is computed from.
 *
 * @module
 */
import type { ResponseUsage, TranscriptionUsage } from "./server_events.ts";

/** Counters to add to a call's usage of one model. */
export interface UsageIncrement {
  /** The model that did the work (realtime or transcription). */
  model: string;
  /** Responses or transcriptions counted. */
  requests: number;
  inputTokens: number;
  inputTextTokens: number;
  inputAudioTokens: number;
  /** Cached input tokens, a subset of `inputTokens` ("counted as a subset of input tokens"). */
  inputCachedTokens: number;
  inputCachedTextTokens: number;
  inputCachedAudioTokens: number;
  outputTokens: number;
  outputTextTokens: number;
  outputAudioTokens: number;
  /** Caller audio transcribed by a model billed per duration. */
  audioSeconds: number;
}

/** The counters kept per call and model. */
export type UsageCounter = Exclude<keyof UsageIncrement, "model">;

/** Every counter, in a fixed order (the store's columns follow it). */
export const USAGE_COUNTERS: readonly UsageCounter[] = [
  "requests",
  "inputTokens",
  "inputTextTokens",
  "inputAudioTokens",
  "inputCachedTokens",
  "inputCachedTextTokens",
  "inputCachedAudioTokens",
  "outputTokens",
  "outputTextTokens",
  "outputAudioTokens",
  "audioSeconds",
];

/** Nothing used yet by `model`. */
export function emptyUsage(model: string): UsageIncrement {
  const out = { model } as UsageIncrement;
  for (const k of USAGE_COUNTERS) out[k] = 0;
  return out;
}

/** One response's usage; a response without `usage` still counts as a request. */
export function responseUsage(
  model: string,
  usage: ResponseUsage | null | undefined,
): UsageIncrement {
  const input = usage?.input_token_details;
  const cached = input?.cached_tokens_details;
  const output = usage?.output_token_details;
  return {
    ...emptyUsage(model),
    requests: 1,
    inputTokens: usage?.input_tokens ?? 0,
    inputTextTokens: input?.text_tokens ?? 0,
    inputAudioTokens: input?.audio_tokens ?? 0,
    inputCachedTokens: input?.cached_tokens ?? 0,
    inputCachedTextTokens: cached?.text_tokens ?? 0,
    inputCachedAudioTokens: cached?.audio_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    outputTextTokens: output?.text_tokens ?? 0,
    outputAudioTokens: output?.audio_tokens ?? 0,
  };
}

/**
 * One caller transcription's usage: "billed according to the ASR model's
 * pricing rather than the realtime model's pricing", so kept under its model.
 */
export function transcriptionUsage(model: string, usage: TranscriptionUsage): UsageIncrement {
  if (usage.type === "duration") {
    return { ...emptyUsage(model), requests: 1, audioSeconds: usage.seconds };
  }
  return {
    ...emptyUsage(model),
    requests: 1,
    inputTokens: usage.input_tokens,
    inputTextTokens: usage.input_token_details?.text_tokens ?? 0,
    inputAudioTokens: usage.input_token_details?.audio_tokens ?? 0,
    outputTokens: usage.output_tokens,
    // A transcription's output is its text.
    outputTextTokens: usage.output_tokens,
  };
}
