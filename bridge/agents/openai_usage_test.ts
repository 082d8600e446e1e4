/** The OpenAI agent reports what each response and each transcription used, as it happens. */
import assert from "node:assert/strict";
import { tone } from "../../tests/fakes/openai_realtime.ts";
import { fakeCall, harness, type Json, pushPcm, silence, untilHeard } from "./_openai_harness.ts";
import { emptyUsage } from "../../lib/realtime/usage.ts";
import { SAMPLE_RESPONSE_USAGE, sampleIncrement } from "../../lib/realtime/_usage_sample.ts";

Deno.test("usage: every response.done and caller transcription is reported under its model", async () => {
  const h = harness({
    transcripts: ["Hi"],
    responses: [
      { kind: "audio", transcript: "Hello.", durationMs: 200 },
      { kind: "audio", transcript: "How can I help?", durationMs: 400 },
    ],
  });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await untilHeard(h, () => h.transcripts.length === 1, "the greeting");
    pushPcm(h.agent, new Int16Array([...tone(300, 400), ...silence(600)]));
    await untilHeard(h, () => h.transcripts.length === 3, "the reply");
    const billed = h.fake.sent.filter((e) => e.type === "response.done").map((e) => {
      const u = (e.event.response as { usage: Json }).usage as {
        input_tokens: number;
        output_tokens: number;
        output_token_details: { audio_tokens: number };
      };
      return [u.input_tokens, u.output_tokens, u.output_token_details.audio_tokens];
    });
    const realtime = h.usage.filter((u) => u.model === "gpt-realtime-2.1");
    assert.deepEqual(
      realtime.map((u) => [u.inputTokens, u.outputTokens, u.outputAudioTokens]),
      billed,
    );
    assert.deepEqual(realtime.map((u) => u.outputAudioTokens), [4, 8], "1 token per 50 ms");
    const transcribed = h.usage.filter((u) => u.model === "gpt-live-transcribe");
    assert.deepEqual(transcribed.map((u) => [u.requests, u.audioSeconds]), [[1, 0.4]]);
  } finally {
    await h.done();
  }
});

Deno.test("usage: token-billed transcription and cached input details are kept by kind", async () => {
  const { agent, socket, usage } = await fakeCall({ transcriptionModel: "gpt-4o-transcribe" });
  socket.receive({
    type: "conversation.item.input_audio_transcription.completed",
    item_id: "item_u",
    content_index: 0,
    transcript: "Hi",
    usage: {
      type: "tokens",
      input_tokens: 14,
      output_tokens: 2,
      total_tokens: 16,
      input_token_details: { text_tokens: 0, audio_tokens: 14 },
    },
  });
  socket.receive({
    type: "response.done",
    response: {
      id: "resp_1",
      status: "completed",
      usage: SAMPLE_RESPONSE_USAGE,
    },
  });
  assert.deepEqual(usage, [
    {
      ...emptyUsage("gpt-4o-transcribe"),
      requests: 1,
      inputTokens: 14,
      inputAudioTokens: 14,
      outputTokens: 2,
      outputTextTokens: 2,
    },
    sampleIncrement("gpt-realtime-2.1"),
  ]);
  await agent.close("test over");
});
