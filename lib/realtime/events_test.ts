import assert from "node:assert/strict";
import { betaSessionShape, parseClientEvent } from "./events.ts";
import { parseServerEvent } from "./server_events.ts";

Deno.test("parseClientEvent accepts a GA session.update", () => {
  const r = parseClientEvent(JSON.stringify({
    type: "session.update",
    session: {
      type: "realtime",
      output_modalities: ["audio"],
      audio: {
        input: {
          format: { type: "audio/pcm", rate: 24000 },
          turn_detection: { type: "semantic_vad" },
        },
        output: { format: { type: "audio/pcmu" }, voice: "marin" },
      },
    },
  }));
  assert.equal(r.ok, true);
});

Deno.test("parseClientEvent names unknown parameters like the service", () => {
  const r = parseClientEvent(JSON.stringify({
    type: "session.update",
    event_id: "e1",
    session: { type: "realtime", input_audio_format: "pcm16" },
  }));
  assert.deepEqual(r, {
    ok: false,
    error: {
      code: "unknown_parameter",
      message: "Unknown parameter: 'session.input_audio_format'.",
      param: "session.input_audio_format",
      event_id: "e1",
    },
  });
});

Deno.test("parseClientEvent rejects missing fields, bad values, bad JSON, unknown types", () => {
  const missing = parseClientEvent('{"type":"conversation.item.delete"}');
  assert.equal(!missing.ok && missing.error.code, "missing_required_parameter");
  const decimal = parseClientEvent(
    '{"type":"conversation.item.truncate","item_id":"i","content_index":0,"audio_end_ms":12.5}',
  );
  assert.equal(!decimal.ok && decimal.error.param, "audio_end_ms");
  const rate = parseClientEvent(
    '{"type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":16000}}}}}',
  );
  assert.equal(!rate.ok && rate.error.code, "invalid_value");
  const assistantAudio = parseClientEvent(JSON.stringify({
    type: "conversation.item.create",
    item: { type: "message", role: "assistant", content: [{ type: "input_audio", audio: "" }] },
  }));
  assert.equal(assistantAudio.ok, false);
  assert.equal(parseClientEvent("{").ok, false);
  assert.equal(parseClientEvent('{"type":"response.audio.delta"}').ok, false);
  assert.equal(parseClientEvent("null").ok, false);
});

Deno.test("betaSessionShape spots the retired beta session", () => {
  const update = (session: unknown) => ({ type: "session.update", session });
  assert.equal(betaSessionShape(update({ modalities: ["audio"] })), "session.modalities");
  assert.equal(betaSessionShape(update({ instructions: "x" })), "missing session.type");
  assert.equal(
    betaSessionShape(
      update({ type: "realtime", audio: { input: { format: { type: "g711_ulaw" } } } }),
    ),
    "beta audio format name",
  );
  assert.equal(betaSessionShape(update({ type: "realtime", instructions: "say pcm16" })), null);
  assert.equal(betaSessionShape(update({ type: "realtime", voice: "alloy" })), "session.voice");
  assert.equal(betaSessionShape({ type: "response.create" }), null);
  assert.equal(betaSessionShape("junk"), null);
});

Deno.test("parseServerEvent tolerates unknown fields and types, rejects malformed known ones", () => {
  const delta = parseServerEvent(JSON.stringify({
    type: "response.output_audio.delta",
    event_id: "e",
    response_id: "r",
    item_id: "i",
    output_index: 0,
    content_index: 0,
    delta: "AAAA",
    brand_new_field: 1,
  }));
  assert.ok(delta.ok && delta.event.type === "response.output_audio.delta");
  const unknown = parseServerEvent('{"type":"mcp_list_tools.completed","event_id":"e"}');
  assert.deepEqual(unknown, {
    ok: true,
    event: {
      type: "unknown",
      originalType: "mcp_list_tools.completed",
      raw: { type: "mcp_list_tools.completed", event_id: "e" },
    },
  });
  const bad = parseServerEvent('{"type":"response.done","event_id":"e","response":{}}');
  assert.equal(bad.ok, false);
  for (const junk of ["", "[]", "1", '{"type":5}', "{"]) {
    assert.equal(parseServerEvent(junk).ok, false);
  }
});

Deno.test("parseServerEvent reads errors and response status details", () => {
  const err = parseServerEvent(JSON.stringify({
    type: "error",
    event_id: "e",
    error: { type: "invalid_request_error", code: "x", message: "m", param: null, event_id: "c1" },
  }));
  assert.ok(err.ok && err.event.type === "error" && err.event.error.event_id === "c1");
  const done = parseServerEvent(JSON.stringify({
    type: "response.done",
    event_id: "e",
    response: {
      id: "r",
      status: "cancelled",
      status_details: { type: "cancelled", reason: "turn_detected" },
    },
  }));
  assert.ok(done.ok && done.event.type === "response.done");
  assert.equal(done.event.response.status_details?.reason, "turn_detected");
});

Deno.test("parseClientEvent accepts the GA fields a phone agent uses, within the documented bounds", () => {
  const update = (session: Record<string, unknown>) =>
    parseClientEvent(
      JSON.stringify({ type: "session.update", session: { type: "realtime", ...session } }),
    );
  const ok = [
    { truncation: { type: "retention_ratio", retention_ratio: 0.8 } },
    { truncation: "disabled" },
    { audio: { input: { turn_detection: { type: "server_vad", idle_timeout_ms: 5000 } } } },
    { audio: { input: { turn_detection: { type: "server_vad", idle_timeout_ms: null } } } },
    {
      audio: {
        input: { transcription: { model: "gpt-live-transcribe", languages: ["en", "es"] } },
      },
    },
    {
      tools: [{
        type: "mcp",
        server_label: "crm",
        require_approval: { never: { tool_names: ["a"] } },
      }],
    },
    { tool_choice: { type: "mcp", server_label: "crm" } },
    { reasoning: { effort: "minimal" } },
    { prompt: { id: "pmpt_1" } },
    { include: ["item.input_audio_transcription.logprobs"] },
  ];
  for (const s of ok) assert.equal(update(s).ok, true, JSON.stringify(s));
  const bad = [
    { audio: { input: { turn_detection: { type: "server_vad", idle_timeout_ms: 30_001 } } } },
    { audio: { input: { turn_detection: { type: "semantic_vad", idle_timeout_ms: 5000 } } } },
    { truncation: { type: "retention_ratio", retention_ratio: -0.1 } },
    { include: ["everything"] },
    { tools: [{ type: "mcp" }] },
  ];
  for (const s of bad) assert.equal(update(s).ok, false, JSON.stringify(s));
});

Deno.test("parseServerEvent reads usage, text output, transcription usage and partial rate limits", () => {
  const done = parseServerEvent(JSON.stringify({
    type: "response.done",
    event_id: "e",
    response: {
      id: "r",
      status: "failed",
      status_details: {
        type: "failed",
        error: { type: "tokens", code: "rate_limit_exceeded", message: "try again in 1s" },
      },
      usage: {
        total_tokens: 821,
        input_tokens: 789,
        output_tokens: 32,
        input_token_details: { cached_tokens: 640, cached_tokens_details: { audio_tokens: 384 } },
        output_token_details: { audio_tokens: 23 },
      },
    },
  }));
  assert.ok(done.ok && done.event.type === "response.done");
  assert.equal(done.event.response.usage?.input_token_details?.cached_tokens, 640);
  assert.equal(done.event.response.status_details?.error?.code, "rate_limit_exceeded");
  const text = parseServerEvent(JSON.stringify({
    type: "response.output_text.delta",
    event_id: "e",
    response_id: "r",
    item_id: "i",
    output_index: 0,
    content_index: 0,
    delta: "Hi",
  }));
  assert.ok(text.ok && text.event.type === "response.output_text.delta");
  for (
    const usage of [{ type: "duration", seconds: 1.5 }, {
      type: "tokens",
      input_tokens: 1,
      output_tokens: 2,
      total_tokens: 3,
    }]
  ) {
    const tr = parseServerEvent(JSON.stringify({
      type: "conversation.item.input_audio_transcription.completed",
      event_id: "e",
      item_id: "i",
      content_index: 0,
      transcript: "hi",
      usage,
    }));
    assert.ok(tr.ok && tr.event.type === "conversation.item.input_audio_transcription.completed");
    assert.deepEqual(tr.event.usage, usage);
  }
  // In practice only a `tokens` entry arrives, and every field is optional.
  const limits = parseServerEvent(
    '{"type":"rate_limits.updated","event_id":"e","rate_limits":[{"name":"tokens","remaining":5}]}',
  );
  assert.ok(limits.ok && limits.event.type === "rate_limits.updated");
});
