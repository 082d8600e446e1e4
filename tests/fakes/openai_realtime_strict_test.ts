/**
 * The fake Realtime service is as strict as the real one and no stricter:
 * every documented GA field is accepted, and it fails, limits, expires and
 * falls back to text the way the service does. Every server event it sends
 * parses with the bridge's schemas.
 */
import assert from "node:assert/strict";
import { FakeRealtimeServer, SESSION_EXPIRED_REASON, tone } from "./openai_realtime.ts";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { parseServerEvent } from "../../lib/realtime/server_events.ts";
import {
  appendAll,
  type Client,
  connect,
  finish,
  GA_SESSION,
  type Json,
  session,
  silence,
} from "./openai_realtime_client.ts";

const withTurnDetection = (turn_detection: Json): Json => ({
  ...GA_SESSION,
  audio: { ...GA_SESSION.audio, input: { ...GA_SESSION.audio.input, turn_detection } },
});

/** Every event the fake sent parses as a known event, but for those the bridge ignores. */
function assertAllParse(c: Client): void {
  const ignored = new Set(["response.content_part.added"]);
  for (const e of c.events) {
    const parsed = parseServerEvent(JSON.stringify(e));
    assert.ok(parsed.ok, `${e.type}: ${!parsed.ok && parsed.error}`);
    if (!ignored.has(String(e.type))) assert.notEqual(parsed.event.type, "unknown", String(e.type));
  }
}

Deno.test("fake realtime: every documented GA session field is accepted", async () => {
  const fake = FakeRealtimeServer.start();
  const c = connect(fake);
  await c.next("session.created");
  c.send({
    type: "session.update",
    event_id: "full",
    session: {
      type: "realtime",
      model: "gpt-realtime-2.1",
      instructions: "Be brief.",
      output_modalities: ["audio"],
      audio: {
        input: {
          format: { type: "audio/pcm", rate: 24000 },
          noise_reduction: { type: "far_field" },
          transcription: {
            model: "gpt-live-transcribe",
            languages: ["es", "en"],
            language: "es",
            prompt: "Acme",
            keywords: ["Acme"],
            delay: "low",
          },
          turn_detection: {
            type: "server_vad",
            threshold: 0.6,
            prefix_padding_ms: 200,
            silence_duration_ms: 400,
            create_response: true,
            interrupt_response: true,
            idle_timeout_ms: 8000,
          },
        },
        output: { format: { type: "audio/pcmu" }, voice: { id: "voice_1" }, speed: 1.1 },
      },
      tools: [
        { type: "function", name: "lookup", description: "d", parameters: { type: "object" } },
        {
          type: "mcp",
          server_label: "crm",
          server_url: "https://mcp.example.com",
          allowed_tools: { read_only: true, tool_names: ["find"] },
          require_approval: "never",
          headers: { "x-key": "k" },
        },
      ],
      tool_choice: { type: "mcp", server_label: "crm", name: "find" },
      parallel_tool_calls: false,
      max_output_tokens: "inf",
      truncation: {
        type: "retention_ratio",
        retention_ratio: 0.8,
        token_limits: { post_instructions: 8000 },
      },
      tracing: { workflow_name: "calls", group_id: "g", metadata: { env: "test" } },
      include: ["item.input_audio_transcription.logprobs"],
      prompt: { id: "pmpt_1", version: "2", variables: { city: "Paris" } },
      reasoning: { effort: "low" },
    },
  });
  await c.next("session.updated");
  assert.deepEqual(c.events.filter((e) => e.type === "error"), []);
  c.send({
    type: "session.update",
    session: { type: "realtime", truncation: "disabled", tracing: "auto" },
  });
  c.send({ type: "session.update", session: { type: "realtime", prompt: null, tracing: null } });
  await c.next("session.updated", (e) => (e.session as Json).prompt === null);
  assert.deepEqual(c.events.filter((e) => e.type === "error"), []);
  await finish(fake, c);
});

Deno.test("fake realtime: documented bounds are enforced, unknown fields refused, beta still closed", async () => {
  const fake = FakeRealtimeServer.start();
  const c = await session(fake);
  const refused = async (id: string, s: Json, param: RegExp) => {
    c.send({ type: "session.update", event_id: id, session: { type: "realtime", ...s } });
    const err = (await c.next("error", (e) => (e.error as Json).event_id === id)).error as Json;
    assert.match(String(err.param), param, id);
  };
  // The spec: idle_timeout_ms is 5000 to 30000; retention_ratio 0 to 1; effort from a list.
  await refused("idle", {
    audio: { input: { turn_detection: { type: "server_vad", idle_timeout_ms: 4000 } } },
  }, /idle_timeout_ms/);
  await refused(
    "ratio",
    { truncation: { type: "retention_ratio", retention_ratio: 1.5 } },
    /truncation/,
  );
  await refused("effort", { reasoning: { effort: "extreme" } }, /reasoning\.effort/);
  await refused("semantic", {
    audio: { input: { turn_detection: { type: "semantic_vad", idle_timeout_ms: 8000 } } },
  }, /turn_detection/);
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  c.send({ type: "session.update", session: { modalities: ["audio"] } });
  assert.equal((await c.closed).code, 4000);
  await fake.close();
});

Deno.test("fake realtime: VAD threshold is an activation threshold: higher needs louder audio", async () => {
  const detect = async (threshold: number, amplitude: number) => {
    const fake = FakeRealtimeServer.start();
    const c = await session(fake, withTurnDetection({ type: "server_vad", threshold }));
    appendAll(c, concatPcm([tone(300, 300, amplitude), silence(700)]));
    c.send({ type: "input_audio_buffer.clear" });
    await c.next("input_audio_buffer.cleared");
    const started = c.events.some((e) => e.type === "input_audio_buffer.speech_started");
    await finish(fake, c);
    return started;
  };
  assert.equal(await detect(0.5, 8000), true, "a clear voice at the default");
  assert.equal(await detect(0.95, 8000), false, "the same voice under a high threshold");
  assert.equal(await detect(0.5, 300), false, "a murmur at the default");
  assert.equal(await detect(0.2, 300), true, "the murmur under a low threshold");
});

Deno.test("fake realtime: semantic VAD waits at most 8, 4 or 2 s of silence by eagerness (auto = medium)", async () => {
  for (
    const [eagerness, waitMs] of [["low", 8000], ["medium", 4000], ["high", 2000], [
      "auto",
      4000,
    ]] as const
  ) {
    const fake = FakeRealtimeServer.start();
    const c = await session(fake, withTurnDetection({ type: "semantic_vad", eagerness }));
    appendAll(c, concatPcm([tone(300, 400), silence(waitMs - 100)]));
    c.send({ type: "input_audio_buffer.commit", event_id: "probe" });
    await c.next("input_audio_buffer.committed");
    assert.ok(
      !c.events.some((e) => e.type === "input_audio_buffer.speech_stopped"),
      `${eagerness}: too early`,
    );
    await finish(fake, c);
    const fake2 = FakeRealtimeServer.start();
    const c2 = await session(fake2, withTurnDetection({ type: "semantic_vad", eagerness }));
    appendAll(c2, concatPcm([tone(300, 400), silence(waitMs + 40)]));
    const stopped = await c2.next("input_audio_buffer.speech_stopped");
    assert.equal(stopped.audio_end_ms, 400, eagerness);
    await finish(fake2, c2);
  }
});

Deno.test("fake realtime: the session closes with 1001 at its maximum duration", async () => {
  const fake = FakeRealtimeServer.start({ maxSessionMs: 100 });
  const c = await session(fake);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((r) => timer = setTimeout(() => r(null), 2000));
  const closed = await Promise.race([c.closed, timeout]);
  clearTimeout(timer);
  assert.deepEqual([closed?.code, closed?.reason], [1001, SESSION_EXPIRED_REASON]);
  assert.equal(SESSION_EXPIRED_REASON, "Your session hit the maximum duration of 60 minutes.");
  await fake.close();
});

Deno.test("fake realtime: responses fail as documented: a failed response.done or an error event", async () => {
  const error = { type: "server_error", code: "server_error", message: "The server had an error." };
  const fake = FakeRealtimeServer.start({
    responses: [{ kind: "failed", error }, { kind: "refused", error }],
  });
  const c = await session(fake);
  c.send({ type: "response.create", event_id: "one" });
  const done = await c.next("response.done");
  assert.equal((done.response as Json).status, "failed");
  assert.deepEqual((done.response as Json).status_details, { type: "failed", error });
  c.send({ type: "response.create", event_id: "two" });
  const refused = (await c.next("error")).error as Json;
  assert.deepEqual(refused, { ...error, param: null, event_id: "two" });
  assert.equal(
    c.events.filter((e) => e.type === "response.created").length,
    1,
    "no second response",
  );
  assertAllParse(c);
  await finish(fake, c);
});

Deno.test("fake realtime: rate limits arrive with every response; over the budget the response fails", async () => {
  const fake = FakeRealtimeServer.start({
    rateLimit: { tokensPerMinute: 60 },
    responses: [{ kind: "audio", transcript: "Hi.", durationMs: 200 }],
  });
  const c = await session(fake);
  c.send({ type: "response.create" });
  await c.next("response.done");
  const [limits] = c.events.filter((e) => e.type === "rate_limits.updated");
  const [tokens] = limits!.rate_limits as Json[];
  assert.equal(tokens!.name, "tokens");
  assert.equal(tokens!.limit, 60);
  assert.ok((tokens!.remaining as number) < 60);
  c.send({ type: "response.create", response: { instructions: "x".repeat(400) } });
  const failed = await c.next("response.done", (e) => (e.response as Json).status === "failed");
  const err = ((failed.response as Json).status_details as Json).error as Json;
  assert.equal(err.code, "rate_limit_exceeded");
  assert.match(
    String(err.message),
    /^Rate limit reached for gpt-realtime-2\.1 .*Please try again in \d/,
  );
  assertAllParse(c);
  await finish(fake, c);
});

Deno.test("fake realtime: response.done and transcriptions carry realistic usage", async () => {
  const fake = FakeRealtimeServer.start({
    transcripts: ["hello there"],
    responses: [{ kind: "audio", transcript: "Hi, how can I help?", durationMs: 1000 }],
    speed: 20,
  });
  const c = await session(fake);
  appendAll(c, concatPcm([silence(1000), tone(300, 700), silence(600)]));
  const tr = await c.next("conversation.item.input_audio_transcription.completed");
  // gpt-4o-mini-transcribe bills tokens; the caller's 1 s item: 1 audio token per 100 ms.
  assert.deepEqual(tr.usage, {
    type: "tokens",
    input_tokens: 10,
    output_tokens: 3,
    total_tokens: 13,
    input_token_details: { text_tokens: 0, audio_tokens: 10 },
  });
  const done = await c.next("response.done");
  const usage = (done.response as Json).usage as {
    input_tokens: number;
    output_tokens: number;
    total_tokens: number;
    input_token_details: { audio_tokens: number; text_tokens: number };
    output_token_details: { audio_tokens: number; text_tokens: number };
  };
  assert.equal(usage.input_token_details.audio_tokens, 10, "the caller's turn");
  assert.equal(usage.output_token_details.audio_tokens, 20, "1 s of speech: 1 token per 50 ms");
  assert.equal(usage.output_token_details.text_tokens, 5, "its transcript");
  assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
  c.send({
    type: "session.update",
    session: {
      type: "realtime",
      audio: { input: { transcription: { model: "gpt-live-transcribe" } } },
    },
  });
  appendAll(c, concatPcm([tone(300, 500), silence(600)]));
  const live = await c.next(
    "conversation.item.input_audio_transcription.completed",
    (e) => (e.usage as Json).type === "duration",
  );
  assert.deepEqual(live.usage, { type: "duration", seconds: 0.8 });
  assertAllParse(c);
  await finish(fake, c);
});

Deno.test("fake realtime: a replayed assistant text message makes the model answer in text only", async () => {
  const fake = FakeRealtimeServer.start({
    responses: [{ kind: "audio", transcript: "Hello again.", durationMs: 400 }],
  });
  const c = await session(fake);
  c.send({
    type: "conversation.item.create",
    item: {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "Hello." }],
    },
  });
  c.send({ type: "response.create", response: { output_modalities: ["audio"] } });
  const done = await c.next("response.done");
  assert.equal((done.response as Json).status, "completed");
  const types = c.events.map((e) => e.type);
  assert.ok(types.includes("response.output_text.delta"));
  assert.ok(!types.includes("response.output_audio.delta"), "no audio, even though asked for");
  assert.equal((await c.next("response.output_text.done")).text, "Hello again.");
  assertAllParse(c);
  await finish(fake, c);
});

Deno.test("fake realtime: idle_timeout_ms re-engages a silent caller after the response has played", async () => {
  const fake = FakeRealtimeServer.start({
    responses: [
      { kind: "audio", transcript: "Hello.", durationMs: 1000 },
      { kind: "audio", transcript: "Are you there?", durationMs: 400 },
    ],
    speed: 50,
  });
  const c = await session(
    fake,
    withTurnDetection({ type: "server_vad", idle_timeout_ms: 5000, create_response: true }),
  );
  c.send({ type: "response.create" });
  const first = await c.next("response.done");
  // The timeout counts from when the reply has played (1 s), on the input timeline.
  appendAll(c, silence(5900));
  c.send({ type: "input_audio_buffer.clear" });
  await c.next("input_audio_buffer.cleared");
  assert.ok(!c.events.some((e) => e.type === "input_audio_buffer.timeout_triggered"), "not yet");
  appendAll(c, silence(200));
  const idle = await c.next("input_audio_buffer.timeout_triggered");
  assert.deepEqual([idle.audio_start_ms, idle.audio_end_ms], [1000, 6000]);
  await c.next("input_audio_buffer.committed", (e) => e.item_id === idle.item_id);
  const reply = await c.next("response.done", (e) => e !== first);
  assert.equal((reply.response as Json).status, "completed");
  assertAllParse(c);
  await finish(fake, c);
});
