import assert from "node:assert/strict";
import type { TranscriptEntry } from "./agent.ts";
import { historySummary, sessionConfig, type SessionSettings } from "./session_config.ts";
import { parseClientEvent } from "../../lib/realtime/events.ts";

const settings: SessionSettings = {
  model: "gpt-realtime-2.1",
  instructions: "Be brief.",
  voice: "marin",
  turnDetection: "server_vad",
  vadEagerness: "auto",
  idleTimeoutMs: 10_000,
  transcriptionModel: "gpt-live-transcribe",
  transcriptionLanguages: [],
  transcriptionPrompt: "",
  noiseReduction: null,
  truncation: "auto",
  tools: [],
};

const entry = (speaker: TranscriptEntry["speaker"], text: string): TranscriptEntry => ({
  speaker,
  text,
  startedAt: 0,
  endedAt: 0,
});

/** The payload is one the service accepts (the GA schema, strict). */
function assertValid(s: SessionSettings): void {
  const r = parseClientEvent(JSON.stringify({ type: "session.update", session: sessionConfig(s) }));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
}

Deno.test("sessionConfig: GA shape, PCM both ways, noise reduction off when null, end_call declared", () => {
  const s = sessionConfig(settings);
  assert.equal(s.type, "realtime");
  assert.equal(s.instructions, "Be brief.");
  assert.equal(s.audio?.input?.noise_reduction, null);
  assert.deepEqual(s.audio?.output, { format: { type: "audio/pcm", rate: 24000 }, voice: "marin" });
  assert.deepEqual(s.tools?.map((t) => t.type === "function" && t.name), ["end_call"]);
  assertValid(settings);
});

Deno.test("sessionConfig: server VAD carries the idle timeout, 0 sends null; semantic VAD its eagerness", () => {
  const td = (s: Partial<SessionSettings>) =>
    sessionConfig({ ...settings, ...s }).audio?.input?.turn_detection;
  const on = td({});
  assert.equal(on?.type === "server_vad" && on.idle_timeout_ms, 10_000);
  const off = td({ idleTimeoutMs: 0 });
  assert.equal(off?.type === "server_vad" && off.idle_timeout_ms, null);
  assert.deepEqual(td({ turnDetection: "semantic_vad", vadEagerness: "high" }), {
    type: "semantic_vad",
    eagerness: "high",
    create_response: true,
    interrupt_response: true,
  });
  for (const s of [{ idleTimeoutMs: 0 }, { turnDetection: "semantic_vad" as const }]) {
    assertValid({ ...settings, ...s });
  }
});

Deno.test("sessionConfig: languages as a list for gpt-live-transcribe, one language for others", () => {
  const tr = (s: Partial<SessionSettings>) =>
    sessionConfig({ ...settings, ...s }).audio?.input?.transcription;
  assert.deepEqual(tr({}), { model: "gpt-live-transcribe" });
  assert.deepEqual(tr({ transcriptionLanguages: ["es", "en"], transcriptionPrompt: "Acme" }), {
    model: "gpt-live-transcribe",
    languages: ["es", "en"],
    prompt: "Acme",
  });
  assert.deepEqual(
    tr({ transcriptionModel: "gpt-4o-transcribe", transcriptionLanguages: ["es", "en"] }),
    { model: "gpt-4o-transcribe", language: "es" },
  );
  assert.deepEqual(
    tr({ transcriptionModel: "gpt-realtime-whisper", transcriptionPrompt: "Acme" }),
    { model: "gpt-realtime-whisper" },
    "no prompt where the model does not take one",
  );
});

Deno.test("sessionConfig: truncation is passed as configured", () => {
  const truncation = { type: "retention_ratio", retention_ratio: 0.8 } as const;
  assert.deepEqual(sessionConfig({ ...settings, truncation }).truncation, truncation);
  assertValid({ ...settings, truncation });
});

Deno.test("historySummary: the last lines in one user message, no assistant item, blank lines skipped", () => {
  const history = [
    entry("caller", "first"),
    entry("agent", "Hello."),
    entry("caller", "  "),
    entry("caller", "My order"),
  ];
  const item = historySummary(history, 3);
  assert.equal(item?.type === "message" && item.role, "user");
  const text = item?.type === "message" && item.content[0]?.type === "input_text"
    ? item.content[0].text
    : "";
  assert.match(text, /\nAgent: Hello\.\nCaller: My order\n/);
  assert.ok(!text.includes("first"), "older than the limit");
  assert.equal(historySummary([entry("caller", " ")], 3), null);
});
