import assert from "node:assert/strict";
import type { TranscriptEntry } from "./agent.ts";
import { historyItems, sessionConfig, type SessionSettings } from "./session_config.ts";

const settings: SessionSettings = {
  model: "gpt-realtime",
  instructions: "Be brief.",
  voice: "marin",
  turnDetection: "server_vad",
  transcriptionModel: "gpt-4o-mini-transcribe",
  noiseReduction: null,
  tools: [],
};

const entry = (speaker: TranscriptEntry["speaker"], text: string): TranscriptEntry => ({
  speaker,
  text,
  startedAt: 0,
  endedAt: 0,
});

Deno.test("sessionConfig: GA shape, PCM both ways, noise reduction off when null, end_call declared", () => {
  const s = sessionConfig(settings);
  assert.equal(s.type, "realtime");
  assert.equal(s.instructions, "Be brief.");
  assert.equal(s.audio?.input?.noise_reduction, null);
  assert.deepEqual(s.audio?.output, { format: { type: "audio/pcm", rate: 24000 }, voice: "marin" });
  assert.deepEqual(s.tools?.map((t) => t.name), ["end_call"]);
});

Deno.test("historyItems: the last lines, as user and assistant messages, skipping blank ones", () => {
  const history = [
    entry("caller", "first"),
    entry("agent", "Hello."),
    entry("caller", "  "),
    entry("caller", "My order"),
  ];
  assert.deepEqual(historyItems(history, 3), [
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hello." }] },
    { type: "message", role: "user", content: [{ type: "input_text", text: "My order" }] },
  ]);
});
