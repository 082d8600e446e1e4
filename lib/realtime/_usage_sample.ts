/**
 * A realistic `response.done` usage block (OpenAI's shape, with text, audio
 * and cached tokens) and the counters it adds, for the usage tests of the
 * agent, the session and the store.
 *
 * @module
 */
import type { ResponseUsage } from "./server_events.ts";
import type { UsageIncrement } from "./usage.ts";

/** A response's usage: 640 of its 789 input tokens cached. */
export const SAMPLE_RESPONSE_USAGE: ResponseUsage = {
  total_tokens: 821,
  input_tokens: 789,
  output_tokens: 32,
  input_token_details: {
    text_tokens: 313,
    audio_tokens: 476,
    cached_tokens: 640,
    cached_tokens_details: { text_tokens: 256, audio_tokens: 384 },
  },
  output_token_details: { text_tokens: 9, audio_tokens: 23 },
};

/** What {@linkcode SAMPLE_RESPONSE_USAGE} adds to a call's usage of `model`. */
export function sampleIncrement(model: string): UsageIncrement {
  return {
    model,
    requests: 1,
    inputTokens: 789,
    inputTextTokens: 313,
    inputAudioTokens: 476,
    inputCachedTokens: 640,
    inputCachedTextTokens: 256,
    inputCachedAudioTokens: 384,
    outputTokens: 32,
    outputTextTokens: 9,
    outputAudioTokens: 23,
    audioSeconds: 0,
  };
}
