import assert from "node:assert/strict";
import { BETA_DISABLED_MESSAGE, FakeRealtimeServer, tone } from "./openai_realtime.ts";
import { concatPcm } from "../../lib/audio/pcm.ts";
import {
  appendAll,
  connect,
  finish,
  type Json,
  session,
  silence,
} from "./openai_realtime_client.ts";

Deno.test("fake realtime: a wrong key is refused at the handshake with 401", async () => {
  const fake = FakeRealtimeServer.start({ apiKey: "sk-right" });
  const c = connect(fake, { Authorization: "Bearer sk-wrong" });
  assert.match(await c.error, /401/);
  await c.closed;
  assert.equal(fake.urls.length, 0);
  await fake.close();
});

Deno.test("fake realtime: an OpenAI-Beta header gets beta_api_shape_disabled and close 4000", async () => {
  const fake = FakeRealtimeServer.start();
  const c = connect(fake, { "OpenAI-Beta": "realtime=v1" });
  const closed = await c.closed;
  assert.equal(closed.code, 4000);
  const err = c.events.find((e) => e.type === "error") as { error: Json } | undefined;
  assert.equal(err?.error.code, "beta_api_shape_disabled");
  assert.equal(err?.error.message, BETA_DISABLED_MESSAGE);
  await fake.close();
});

for (
  const [name, session] of [
    ["flat beta fields", {
      modalities: ["audio", "text"],
      voice: "alloy",
      input_audio_format: "g711_ulaw",
    }],
    ["no session.type", { instructions: "hi" }],
    ["a beta format name", {
      type: "realtime",
      audio: { input: { format: { type: "g711_ulaw" } } },
    }],
  ] as const
) {
  Deno.test(`fake realtime: a beta session.update (${name}) closes with 4000`, async () => {
    const fake = FakeRealtimeServer.start();
    const c = connect(fake);
    await c.next("session.created");
    c.send({ type: "session.update", session });
    assert.equal((await c.closed).code, 4000);
    await fake.close();
  });
}

Deno.test("fake realtime: invalid GA events get invalid_request_error and the session stays open", async () => {
  const fake = FakeRealtimeServer.start();
  const c = await session(fake);
  c.send({
    type: "session.update",
    event_id: "u1",
    session: { type: "realtime", audio: { input: { bogus: 1 } } },
  });
  const unknown = (await c.next("error")).error as Json;
  assert.deepEqual(unknown, {
    type: "invalid_request_error",
    code: "unknown_parameter",
    message: "Unknown parameter: 'session.audio.input.bogus'.",
    param: "session.audio.input.bogus",
    event_id: "u1",
  });
  c.send({ type: "conversation.item.truncate", item_id: "x", content_index: 0, audio_end_ms: 1.5 });
  const decimal = (await c.next("error", (e) => (e.error as Json).param === "audio_end_ms"))
    .error as Json;
  assert.equal(decimal.code, "invalid_value");
  c.send({ type: "response.create", response: { modalities: ["audio"] } });
  await c.next("error", (e) => (e.error as Json).param === "response.modalities");
  c.send({ type: "input_audio_buffer.commit" });
  await c.next("error", (e) => (e.error as Json).code === "input_audio_buffer_commit_empty");
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  await finish(fake, c);
});

Deno.test("fake realtime: energy VAD on the input timeline, transcript, then a faster-than-real-time response", async () => {
  const fake = FakeRealtimeServer.start({
    transcripts: ["hello there"],
    responses: [{ kind: "audio", transcript: "Hi, how can I help?", toneHz: 880, durationMs: 800 }],
    speed: 8,
  });
  const c = await session(fake);
  const t0 = performance.now();
  appendAll(c, concatPcm([silence(1000), tone(300, 600), silence(800)]));
  const started = await c.next("input_audio_buffer.speech_started");
  assert.equal(started.audio_start_ms, 700); // 1000 ms onset minus 300 ms prefix padding
  const stopped = await c.next("input_audio_buffer.speech_stopped");
  assert.equal(stopped.audio_end_ms, 1600);
  assert.equal(stopped.item_id, started.item_id);
  await c.next("input_audio_buffer.committed", (e) => e.item_id === started.item_id);
  const tr = await c.next("conversation.item.input_audio_transcription.completed");
  assert.equal(tr.transcript, "hello there");
  const done = await c.next("response.done");
  const elapsed = performance.now() - t0;
  assert.equal((done.response as Json).status, "completed");
  const deltas = c.events.filter((e) => e.type === "response.output_audio.delta");
  const samples = deltas.reduce((n, e) => n + atob(String(e.delta)).length / 2, 0);
  assert.equal(samples, 800 * 24);
  assert.ok(elapsed < 600, `800 ms of audio took ${elapsed} ms`);
  const transcript = await c.next("response.output_audio_transcript.done");
  assert.equal(transcript.transcript, "Hi, how can I help?");
  const order = c.events.map((e) => e.type);
  assert.ok(order.indexOf("response.output_audio.done") < order.indexOf("response.done"));
  await finish(fake, c);
});

Deno.test("fake realtime: one active response, truncation bounded by audio sent, cancel semantics", async () => {
  const fake = FakeRealtimeServer.start({
    responses: [{ kind: "audio", transcript: "long", durationMs: 4000 }],
    speed: 2,
    chunkMs: 100,
  });
  const c = await session(fake);
  c.send({ type: "response.create" });
  const first = await c.next("response.output_audio.delta");
  c.send({ type: "response.create", event_id: "second" });
  const busy = (await c.next("error")).error as Json;
  assert.equal(busy.code, "conversation_already_has_active_response");
  assert.equal(busy.event_id, "second");
  c.send({
    type: "conversation.item.truncate",
    item_id: first.item_id,
    content_index: 0,
    audio_end_ms: 3900,
  });
  const tooLong = (await c.next("error", (e) => (e.error as Json).param === "audio_end_ms"))
    .error as Json;
  assert.match(String(tooLong.message), /^Audio content of \d+ms is already shorter than 3900ms$/);
  c.send({ type: "response.cancel" });
  const done = await c.next("response.done");
  assert.deepEqual((done.response as Json).status_details, {
    type: "cancelled",
    reason: "client_cancelled",
  });
  c.send({
    type: "conversation.item.truncate",
    item_id: first.item_id,
    content_index: 0,
    audio_end_ms: 100,
  });
  const truncated = await c.next("conversation.item.truncated");
  assert.equal(truncated.audio_end_ms, 100);
  c.send({ type: "response.cancel", event_id: "again" });
  const inactive = (await c.next("error", (e) => (e.error as Json).event_id === "again"))
    .error as Json;
  assert.equal(inactive.code, "response_cancel_not_active");
  await finish(fake, c);
});

Deno.test("fake realtime: speech during a response cancels it with turn_detected", async () => {
  const fake = FakeRealtimeServer.start({
    responses: [{ kind: "audio", transcript: "a long answer", durationMs: 5000 }],
    speed: 1,
  });
  const c = await session(fake);
  c.send({ type: "response.create" });
  await c.next("response.output_audio.delta");
  appendAll(c, tone(300, 200));
  await c.next("input_audio_buffer.speech_started");
  const done = await c.next("response.done");
  assert.equal((done.response as Json).status, "cancelled");
  assert.equal(((done.response as Json).status_details as Json).reason, "turn_detected");
  await finish(fake, c);
});

Deno.test("fake realtime: a scripted function call streams its arguments", async () => {
  const fake = FakeRealtimeServer.start({
    responses: [{ kind: "function_call", name: "lookup", arguments: '{"order":"42"}' }],
  });
  const c = await session(fake);
  c.send({ type: "response.create" });
  const call = await c.next("response.function_call_arguments.done");
  assert.equal(call.name, "lookup");
  assert.equal(call.arguments, '{"order":"42"}');
  const deltas = c.events.filter((e) => e.type === "response.function_call_arguments.delta");
  assert.equal(deltas.map((d) => d.delta).join(""), '{"order":"42"}');
  await c.next("response.done");
  c.send({
    type: "conversation.item.create",
    item: { type: "function_call_output", call_id: call.call_id, output: "{}" },
  });
  await c.next("conversation.item.done");
  await finish(fake, c);
});

Deno.test("fake realtime: dropNext refuses handshakes, dropAll closes open sockets", async () => {
  const fake = FakeRealtimeServer.start();
  fake.dropNext();
  const refused = connect(fake);
  assert.match(await refused.error, /503/);
  const c = await session(fake);
  fake.dropAll();
  assert.equal((await c.closed).code, 1000);
  assert.equal(fake.receivedOf("session.update").length, 1);
  await fake.close();
});
