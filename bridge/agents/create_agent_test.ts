import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { loadConfig } from "../config.ts";
import { createAgentFactory } from "./create_agent.ts";
import { EchoAgent } from "./echo.ts";
import { OpenAIRealtimeAgent } from "./openai.ts";
import { captureLogs } from "../../tests/support/log_capture.ts";

const base = { VOICE_BRIDGE_SECRET: "0123456789abcdef0123", OPENAI_API_KEY: "sk-test" };

Deno.test("createAgentFactory: the bridge's variables shape the OpenAI session", () => {
  const make = createAgentFactory(loadConfig({
    ...base,
    AGENT_TURN_DETECTION: "server_vad",
    AGENT_IDLE_TIMEOUT_MS: "8000",
    AGENT_TRANSCRIPTION_LANGUAGE: "es,en",
    AGENT_TRANSCRIPTION_PROMPT: "Acme, order numbers",
    AGENT_NOISE_REDUCTION: "far_field",
    AGENT_TRUNCATION: "0.75",
  }));
  const agent = make("call-1");
  assert.ok(agent instanceof OpenAIRealtimeAgent);
  const session = agent.sessionConfig();
  assert.equal(session.model, "gpt-realtime-2.1");
  assert.deepEqual(session.truncation, { type: "retention_ratio", retention_ratio: 0.75 });
  assert.deepEqual(session.audio?.input?.noise_reduction, { type: "far_field" });
  assert.deepEqual(session.audio?.input?.transcription, {
    model: "gpt-live-transcribe",
    languages: ["es", "en"],
    prompt: "Acme, order numbers",
  });
  const td = session.audio?.input?.turn_detection;
  assert.equal(td?.type === "server_vad" && td.idle_timeout_ms, 8000);
  const semantic = createAgentFactory(loadConfig({
    ...base,
    AGENT_TURN_DETECTION: "semantic_vad",
    AGENT_VAD_EAGERNESS: "low",
    AGENT_NOISE_REDUCTION: "off",
  }))("call-2") as OpenAIRealtimeAgent;
  const input = semantic.sessionConfig().audio?.input;
  assert.equal(
    input?.turn_detection?.type === "semantic_vad" && input.turn_detection.eagerness,
    "low",
  );
  assert.equal(input?.noise_reduction, null);
  assert.ok(
    createAgentFactory(loadConfig({ VOICE_BRIDGE_SECRET: base.VOICE_BRIDGE_SECRET }))(
      "c",
    ) instanceof EchoAgent,
  );
});

Deno.test("createAgentFactory: warns at start-up about a configured model scheduled for shutdown", async () => {
  const logs = await captureLogs("bridge");
  try {
    createAgentFactory(
      loadConfig({
        ...base,
        OPENAI_REALTIME_MODEL: "gpt-realtime",
        AGENT_TRANSCRIPTION_MODEL: "whisper-1",
      }),
      getLogger(["bridge", "openai"]),
    );
    const lines = logs.find("OPENAI_MODEL_DEPRECATED");
    assert.deepEqual(lines.map((l) => [l.properties.model, l.properties.shutdownDate]), [
      ["gpt-realtime", "2027-01-20"],
      ["whisper-1", "2027-02-26"],
    ]);
    createAgentFactory(loadConfig(base));
    assert.equal(logs.find("OPENAI_MODEL_DEPRECATED").length, 2, "the defaults are current");
  } finally {
    await logs.stop();
  }
});
