import assert from "node:assert/strict";
import { emptyUsage, responseUsage, transcriptionUsage, USAGE_COUNTERS } from "./usage.ts";
import { SAMPLE_RESPONSE_USAGE, sampleIncrement } from "./_usage_sample.ts";

Deno.test("responseUsage: tokens by kind, cached as a subset; a response without usage counts once", () => {
  assert.deepEqual(
    responseUsage("gpt-realtime-2.1", SAMPLE_RESPONSE_USAGE),
    sampleIncrement("gpt-realtime-2.1"),
  );
  assert.deepEqual(responseUsage("m", undefined), { ...emptyUsage("m"), requests: 1 });
});

Deno.test("transcriptionUsage: seconds for duration-billed models, tokens otherwise", () => {
  assert.deepEqual(transcriptionUsage("gpt-live-transcribe", { type: "duration", seconds: 2.5 }), {
    ...emptyUsage("gpt-live-transcribe"),
    requests: 1,
    audioSeconds: 2.5,
  });
  assert.deepEqual(
    transcriptionUsage("gpt-4o-transcribe", {
      type: "tokens",
      input_tokens: 14,
      output_tokens: 2,
      total_tokens: 16,
      input_token_details: { text_tokens: 1, audio_tokens: 13 },
    }),
    {
      ...emptyUsage("gpt-4o-transcribe"),
      requests: 1,
      inputTokens: 14,
      inputTextTokens: 1,
      inputAudioTokens: 13,
      outputTokens: 2,
      outputTextTokens: 2,
    },
  );
  assert.equal(USAGE_COUNTERS.length, Object.keys(emptyUsage("m")).length - 1);
});
