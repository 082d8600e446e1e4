import assert from "node:assert/strict";
import { OpenAIRealtimeAgent } from "./openai.ts";
import { FakeAudioOut } from "./_test_utils.ts";
import {
  fakeCall,
  harness,
  type Json,
  LONG,
  pushPcm,
  silence,
  soon,
  speakLine,
  untilHeard,
} from "./_openai_harness.ts";
import { tone } from "../../tests/fakes/openai_realtime.ts";
import { base64ToInt16 } from "../../lib/audio/pcm.ts";

Deno.test("openai agent: start sends a GA session.update and resolves on session.updated", async () => {
  const h = harness({}, {
    tools: [{ name: "lookup", description: "d", parameters: { type: "object" }, url: "http://x" }],
  });
  await h.agent.start(h.ctx);
  assert.match(h.fake.urls[0]!, /\/v1\/realtime\?model=gpt-realtime-2\.1$/);
  const [update] = h.fake.receivedOf("session.update");
  const session = update!.session as Json;
  assert.equal(session.type, "realtime");
  assert.deepEqual(session.output_modalities, ["audio"]);
  assert.equal(session.truncation, "auto");
  assert.deepEqual(session.audio, {
    input: {
      format: { type: "audio/pcm", rate: 24000 },
      noise_reduction: { type: "near_field" },
      transcription: { model: "gpt-live-transcribe" },
      turn_detection: {
        type: "server_vad",
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 500,
        create_response: true,
        interrupt_response: true,
        idle_timeout_ms: 10_000,
      },
    },
    output: { format: { type: "audio/pcm", rate: 24000 }, voice: "marin" },
  });
  assert.deepEqual((session.tools as Json[]).map((t) => t.name), ["lookup", "end_call"]);
  assert.equal(h.fake.sent.filter((e) => e.type === "error").length, 0);
  await h.done();
});

Deno.test("openai agent: semantic_vad is configured with create and interrupt on", () => {
  const agent = new OpenAIRealtimeAgent({
    apiKey: "k",
    instructions: "x",
    turnDetection: "semantic_vad",
  });
  assert.deepEqual(agent.sessionConfig().audio?.input?.turn_detection, {
    type: "semantic_vad",
    eagerness: "auto",
    create_response: true,
    interrupt_response: true,
  });
});

Deno.test("openai agent: callAccepted greets, audio is enqueued under the item id, transcript stored", async () => {
  const h = harness({
    responses: [{ kind: "audio", transcript: "Hello there.", durationMs: 400 }],
  });
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  const create = await h.fake.waitForEvent("response.create");
  const response = create.response as Json;
  assert.match(
    String(response.instructions),
    /^You are a test agent\.\n\nThe call has just connected/,
  );
  assert.deepEqual(response.metadata, { purpose: "greeting" });
  assert.deepEqual(response.output_modalities, ["audio"]);
  const delta = await h.fake.waitForSent("response.output_audio.delta");
  await untilHeard(h, () => h.transcripts.length === 1, "agent transcript");
  assert.equal(h.audio.enqueued.get(String(delta.item_id)), 400);
  assert.equal(h.transcripts[0]!.speaker, "agent");
  assert.equal(h.transcripts[0]!.text, "Hello there.");
  assert.equal(h.transcripts[0]!.endedAt - h.transcripts[0]!.startedAt, 400);
  await h.done();
});

Deno.test("openai agent: caller speech → VAD → caller transcript → response audio", async () => {
  const h = harness({
    transcripts: ["I need help"],
    responses: [{ kind: "audio", transcript: "Sure.", durationMs: 200 }],
  });
  await h.agent.start(h.ctx);
  pushPcm(h.agent, new Int16Array([...silence(200), ...tone(300, 600), ...silence(720)]));
  await untilHeard(h, () => h.transcripts.length === 2, "caller and agent transcripts");
  assert.deepEqual(h.transcripts.map((t) => [t.speaker, t.text]), [
    ["caller", "I need help"],
    ["agent", "Sure."],
  ]);
  assert.ok(h.transcripts[0]!.endedAt >= h.transcripts[0]!.startedAt);
  const appends = h.fake.receivedOf("input_audio_buffer.append");
  assert.equal(appends.length, 1520 / 40);
  for (const a of appends) assert.equal((base64ToInt16(String(a.audio)) as Int16Array).length, 960);
  assert.equal([...h.audio.enqueued.values()].reduce((a, b) => a + b, 0), 200);
  await h.done();
});

Deno.test("openai agent: barge-in flushes synchronously, leaves the cancel to the server, truncates at played ms, drops late deltas", async () => {
  const h = harness({ responses: [LONG], speed: 4, chunkMs: 40, lateDeltas: 3 });
  let framesAtFlush = -1;
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  const delta = await h.fake.waitForSent("response.output_audio.delta");
  const itemId = String(delta.item_id);
  await soon(() => (h.audio.enqueued.get(itemId) ?? 0) >= 1000, "1 s of agent audio");
  h.audio.tick(10); // the caller heard 200 ms
  const framesBefore = h.frames.length;
  const flushSpy = h.audio.flush.bind(h.audio);
  h.audio.flush = () => {
    framesAtFlush = h.frames.length;
    return flushSpy();
  };
  pushPcm(h.agent, tone(300, 200));
  const done = await h.fake.waitForSent("response.done");
  await h.fake.waitForSent("conversation.item.truncated");
  const receivedAtCut = h.audio.enqueued.get(itemId)!;
  // interrupt_response: the server cancelled the response at speech start.
  assert.deepEqual((done.response as Json).status_details, {
    type: "cancelled",
    reason: "turn_detected",
  });
  // One flush, immediately followed (same handler, nothing sent between) by the truncate.
  assert.equal(h.audio.flushes, 1);
  assert.equal(framesAtFlush, h.frames.findIndex((f) => f.type === "conversation.item.truncate"));
  const answer = h.frames.slice(framesBefore).filter((f) => f.type !== "input_audio_buffer.append");
  assert.deepEqual(answer.map((f) => f.type), ["conversation.item.truncate"], "no response.cancel");
  assert.equal(answer[0]!.item_id, itemId);
  assert.equal(answer[0]!.content_index, 0);
  assert.equal(answer[0]!.audio_end_ms, 200);
  // The fake sent late deltas after the cancel; none reached the player.
  const sentMs = h.fake.sent
    .filter((e) => e.type === "response.output_audio.delta" && e.event.item_id === itemId)
    .length * 40;
  assert.ok(sentMs > receivedAtCut, `fake sent ${sentMs} ms, agent kept ${receivedAtCut} ms`);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(
    h.fake.sent.filter((e) => e.type === "error"),
    [],
    "no response_cancel_not_active",
  );
  const barge = h.events.find((e) => e.name === "barge_in");
  assert.deepEqual((barge?.data?.items as Json[])[0], {
    itemId,
    playedMs: 200,
    receivedMs: receivedAtCut,
    action: "truncate",
  });
  const agentLine = h.transcripts.find((t) => t.speaker === "agent");
  assert.equal(agentLine?.interrupted, true);
  assert.ok(agentLine!.text.length < LONG.transcript.length);
  assert.equal(h.transcripts.filter((t) => t.speaker === "agent").length, 1);
  await h.done();
});

Deno.test("openai agent: barge-in before any audio played deletes the item instead of truncating", async () => {
  const h = harness({ responses: [LONG], speed: 4 });
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  const delta = await h.fake.waitForSent("response.output_audio.delta");
  pushPcm(h.agent, tone(300, 200));
  const del = await h.fake.waitForEvent("conversation.item.delete");
  assert.equal(del.item_id, delta.item_id);
  await h.fake.waitForSent("conversation.item.deleted");
  assert.equal(h.fake.receivedOf("conversation.item.truncate").length, 0);
  await h.done();
});

Deno.test("openai agent: truncate is clamped to received audio even if the player reports more", async () => {
  class Overreporting extends FakeAudioOut {
    override flush(): Map<string, number> {
      const out = super.flush();
      for (const k of out.keys()) out.set(k, 1e6);
      return out;
    }
  }
  const audio = new Overreporting();
  const h = harness({ responses: [LONG], speed: 4 }, {}, audio);
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  const delta = await h.fake.waitForSent("response.output_audio.delta");
  audio.tick(1);
  pushPcm(h.agent, tone(300, 200));
  const truncate = await h.fake.waitForEvent("conversation.item.truncate");
  assert.equal(truncate.audio_end_ms, Math.floor(audio.enqueued.get(String(delta.item_id))!));
  await h.fake.waitForSent("conversation.item.truncated");
  await h.done();
});

Deno.test("openai agent: speech after the agent finished and was heard sends nothing", async () => {
  const h = harness({ responses: [{ kind: "audio", transcript: "Hi.", durationMs: 200 }] });
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  await untilHeard(h, () => h.transcripts.length === 1, "the whole greeting arrived");
  h.audio.tick(10);
  assert.equal(h.audio.queuedMs(), 0);
  pushPcm(h.agent, tone(300, 200));
  await h.fake.waitForSent("input_audio_buffer.speech_started");
  await new Promise((r) => setTimeout(r, 50));
  const types = h.frames.map((f) => f.type);
  assert.ok(!types.includes("conversation.item.truncate"));
  assert.ok(!types.includes("conversation.item.delete"));
  assert.ok(!types.includes("response.cancel"));
  assert.equal(h.events.filter((e) => e.name === "barge_in").length, 0);
  await h.done();
});

Deno.test("openai agent: end_call sends the output and requests a hang-up", async () => {
  const h = harness({
    responses: [{
      kind: "function_call",
      name: "end_call",
      arguments: '{"reason":"caller said bye"}',
    }],
  });
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  const out = await h.fake.waitForEvent("conversation.item.create");
  assert.equal((out.item as Json).type, "function_call_output");
  assert.equal((out.item as Json).output, '{"ok":true}');
  await soon(() => h.hangups.length === 1, "hang-up");
  assert.deepEqual(h.hangups, ["caller said bye"]);
  assert.equal(h.fake.receivedOf("response.create").length, 1); // no reply after end_call
  await h.done();
});

Deno.test("openai agent: an HTTP tool round trip feeds the output back, then one response.create", async () => {
  const bodies: Json[] = [];
  const tools = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    bodies.push(await req.json());
    return Response.json({ status: "shipped" });
  });
  const h = harness(
    {
      responses: [
        { kind: "function_call", name: "lookup_order", arguments: '{"order_id":"42"}' },
        { kind: "audio", transcript: "Your order shipped.", durationMs: 200 },
      ],
    },
    {
      tools: [{
        name: "lookup_order",
        description: "Look up an order",
        parameters: { type: "object", properties: { order_id: { type: "string" } } },
        url: `http://127.0.0.1:${tools.addr.port}/tool`,
      }],
    },
  );
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  await untilHeard(h, () => h.transcripts.some((t) => t.text === "Your order shipped."), "answer");
  const call = h.fake.sent.find((e) => e.type === "response.function_call_arguments.done")!.event;
  assert.deepEqual(bodies, [{
    name: "lookup_order",
    arguments: { order_id: "42" },
    call_id: call.call_id,
    callId: call.call_id,
  }]);
  const order = h.frames.filter((f) => f.type !== "session.update").map((f) =>
    f.type === "conversation.item.create" ? `output:${(f.item as Json).output}` : f.type
  );
  assert.deepEqual(order, ["response.create", 'output:{"status":"shipped"}', "response.create"]);
  assert.equal(h.fake.sent.filter((e) => e.type === "error").length, 0);
  assert.ok(h.events.some((e) => e.name === "tool_call" && e.data?.ok === true));
  await h.done();
  await tools.shutdown();
});

Deno.test("openai agent: sayGoodbye waits for the active response, then hangs up after its goodbye", async () => {
  const h = harness({
    responses: [{ ...LONG, durationMs: 400 }, {
      kind: "audio",
      transcript: "Bye!",
      durationMs: 200,
    }],
  });
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  await h.fake.waitForSent("response.output_audio.delta");
  h.agent.sayGoodbye("max_duration");
  assert.equal(h.fake.receivedOf("response.create").length, 1);
  await soon(() => h.hangups.length === 1, "hang-up");
  assert.deepEqual(h.hangups, ["max_duration"]);
  const creates = h.fake.receivedOf("response.create");
  assert.deepEqual(creates.map((c) => (c.response as Json).metadata), [
    { purpose: "greeting" },
    { purpose: "goodbye" },
  ]);
  await untilHeard(
    h,
    () => h.transcripts.some((t) => t.text === "Bye!"),
    "the goodbye line, once heard",
  );
  assert.equal(h.fake.sent.filter((e) => e.type === "error").length, 0);
  await h.done();
});

Deno.test("openai agent: a create refused for an active VAD response is retried after response.done", async () => {
  const h = harness({
    transcripts: ["hi"],
    responses: [
      { kind: "audio", transcript: "VAD reply.", durationMs: 200 },
      { kind: "audio", transcript: "Greeting.", durationMs: 200 },
    ],
  });
  await h.agent.start(h.ctx);
  // The server's VAD turn starts a response just before our response.create lands.
  pushPcm(h.agent, new Int16Array([...tone(300, 400), ...silence(560)]));
  h.agent.callAccepted();
  await untilHeard(
    h,
    () => h.transcripts.some((t) => t.text === "Greeting."),
    "greeting after the VAD reply",
  );
  const refused = h.fake.sent.filter((e) => e.type === "error").map((e) =>
    (e.event.error as Json).code
  );
  assert.deepEqual(refused, ["conversation_already_has_active_response"]);
  const creates = h.fake.receivedOf("response.create");
  assert.equal(creates.length, 2);
  assert.deepEqual(creates[1]!.response, creates[0]!.response);
  assert.deepEqual(h.transcripts.map((t) => t.text), ["hi", "VAD reply.", "Greeting."]);
  await h.done();
});

Deno.test("openai agent: DTMF becomes a user message and a reply", async () => {
  const h = harness();
  await h.agent.start(h.ctx);
  h.agent.pushDtmf("5");
  h.agent.pushDtmf("not a digit");
  const item = await h.fake.waitForEvent("conversation.item.create");
  assert.deepEqual((item.item as Json).content, [{
    type: "input_text",
    text: "[The caller pressed 5 on the keypad]",
  }]);
  await h.fake.waitForEvent("response.create");
  assert.equal(h.fake.receivedOf("conversation.item.create").length, 1);
  await h.done();
});

Deno.test("openai agent: reconnects within 2 s after a drop and re-injects the transcript", async () => {
  const h = harness({
    responses: [{ kind: "audio", transcript: "Hello there.", durationMs: 200 }],
  });
  await h.agent.start(h.ctx);
  h.agent.callAccepted();
  await untilHeard(h, () => h.transcripts.length === 1, "greeting transcript");
  h.transcripts.push({ speaker: "caller", text: "My order is late", startedAt: 1, endedAt: 2 });
  const dropped = performance.now();
  h.fake.dropAll();
  await soon(() => h.events.some((e) => e.name === "openai_reconnected"), "reconnect", 2000);
  assert.ok(performance.now() - dropped < 2000);
  assert.equal(h.fake.urls.length, 2);
  const second = h.fake.received.filter((r) => r.connection === 2).map((r) => r.event);
  assert.equal(second[0]!.type, "session.update");
  // The call so far, as one user message: no assistant item (see historySummary).
  const replayed = second.slice(1).map((e) => e.item as Json);
  assert.equal(replayed.length, 1);
  assert.equal(replayed[0]!.role, "user");
  const [content] = replayed[0]!.content as { type: string; text: string }[];
  assert.equal(content!.type, "input_text");
  assert.match(content!.text, /\nAgent: Hello there\.\nCaller: My order is late\n/);
  assert.equal(h.fake.receivedOf("response.create", 2).length, 0);
  assert.equal(h.fake.sent.filter((e) => e.type === "error").length, 0);
  pushPcm(h.agent, silence(80));
  await h.fake.waitForEvent("input_audio_buffer.append", (_e, conn) => conn === 2);
  assert.equal(h.fatals.length, 0);
  await h.done();
});

Deno.test("openai agent: repeated reconnect failures are fatal", async () => {
  const h = harness();
  await h.agent.start(h.ctx);
  h.fake.dropNext(10);
  h.fake.dropAll();
  await soon(() => h.fatals.length === 1, "fatal");
  assert.match(h.fatals[0]!.message, /after 3 attempts/);
  await h.done();
});

Deno.test("openai agent: a 401 on reconnect is fatal at once", async () => {
  const h = harness({}, { reconnectWithinMs: 10_000 });
  await h.agent.start(h.ctx);
  h.fake.apiKey = "sk-rotated";
  h.fake.dropAll();
  await soon(() => h.fatals.length === 1, "fatal", 1000); // no 2.5 s backoff wait
  assert.match(h.fatals[0]!.message, /401/);
  await h.done();
});

Deno.test("openai agent: close code 4000 is fatal, not retried", async () => {
  const h = harness();
  await h.agent.start(h.ctx);
  h.fake.dropAll(4000, "beta_api_shape_disabled");
  await soon(() => h.fatals.length === 1, "fatal");
  assert.match(h.fatals[0]!.message, /4000: beta_api_shape_disabled/);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.fake.urls.length, 1);
  await h.done();
});

Deno.test("openai agent: start rejects when the service refuses the beta shape", async () => {
  const h = harness({}, {
    webSocketFactory: (url, key) =>
      new WebSocket(url, {
        headers: { Authorization: "Bearer " + key, "OpenAI-Beta": "realtime=v1" },
      } as unknown as string[]),
  });
  await assert.rejects(h.agent.start(h.ctx), /4000/);
  assert.equal(h.fatals.length, 0);
  await h.done();
});

Deno.test("openai agent: start times out without session.updated", async () => {
  const silent = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { response } = Deno.upgradeWebSocket(req);
    return response;
  });
  const agent = new OpenAIRealtimeAgent({
    apiKey: "k",
    instructions: "x",
    url: `ws://127.0.0.1:${silent.addr.port}/v1/realtime`,
    connectTimeoutMs: 100,
  });
  const h = harness();
  await assert.rejects(agent.start(h.ctx), /no session.updated within 100 ms/);
  await agent.close("done");
  await h.done();
  await silent.shutdown();
});

Deno.test("openai agent: a greeting asked for before the session is ready is sent once it is", async () => {
  const h = harness();
  try {
    const started = h.agent.start(h.ctx);
    h.agent.callAccepted(); // Meta accepted before OpenAI confirmed the session
    await started;
    await soon(
      () => h.frames.some((f) => (f as { type?: string }).type === "response.create"),
      "the greeting's response.create",
    );
  } finally {
    await h.done();
  }
});

Deno.test("openai agent: an agent line is stored once, whole when heard, cut when interrupted", async () => {
  const h = harness({
    responses: [{ kind: "audio", transcript: "One two three four.", durationMs: 800 }],
    speed: 50,
  });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await h.fake.waitForSent("response.done");
    assert.equal(h.transcripts.length, 0, "nothing stored before the caller heard it");
    h.audio.tick(20); // 400 ms heard
    pushPcm(h.agent, tone(300, 200)); // the caller barges in
    await soon(() => h.transcripts.length === 1, "the interrupted line");
    assert.equal(h.transcripts[0]!.text, "One two");
    assert.equal(h.transcripts[0]!.interrupted, true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.transcripts.length, 1, "never stored a second time");
  } finally {
    await h.done();
  }
});

// ------------------------------------------- in memory: fake socket and timers

Deno.test("openai agent: a line carried by every done event is stored once", async () => {
  const { agent, socket, timers, audio, transcripts } = await fakeCall();
  agent.callAccepted();
  speakLine(socket, "Hello there.");
  audio.tick(5);
  await timers.advance(1000);
  speakLine(socket, "Hello there."); // a replay of the same item changes nothing
  audio.tick(5);
  await timers.advance(1000);
  assert.deepEqual(transcripts.map((t) => t.text), ["Hello there."]);
  await agent.close("test over");
  assert.equal(transcripts.length, 1);
});

Deno.test("openai agent: after close, no timer is pending and no socket listener is left", async () => {
  const { agent, socket, timers } = await fakeCall();
  agent.callAccepted();
  speakLine(socket, "Never heard."); // waits, polling, for the caller to hear it
  assert.ok(timers.pending > 0);
  await agent.close("hang-up");
  assert.equal(timers.pending, 0);
  assert.equal(socket.listeners, 0);
  assert.equal(socket.readyState, WebSocket.CLOSED);
});

Deno.test("openai agent: closed while reconnecting, nothing is left pending either", async () => {
  const { agent, socket, timers, sockets } = await fakeCall();
  agent.callAccepted();
  speakLine(socket, "Never heard.");
  socket.drop(1006, "network");
  assert.equal(sockets.length, 2, "reconnecting");
  await agent.close("hang-up");
  assert.equal(timers.pending, 0);
  assert.equal(sockets[1]!.listeners, 0);
});

Deno.test("openai agent: tool results are typed: an unknown tool fails, a 200 body is output", async () => {
  const answer = '{"error":"no such order"}';
  const { agent, socket, timers, events } = await fakeCall({
    tools: [{ name: "lookup", description: "d", parameters: {}, url: "http://127.0.0.1:9/x" }],
    fetch: () => Promise.resolve(new Response(answer)),
  });
  for (const [i, name] of ["nope", "lookup"].entries()) {
    socket.receive({
      type: "response.function_call_arguments.done",
      response_id: `resp_${i}`,
      item_id: `fc_${i}`,
      output_index: 0,
      call_id: `call_${i}`,
      name,
      arguments: "{}",
    });
  }
  await timers.advance(0);
  const outputs = socket.sentOf("conversation.item.create").map((f) => (f.item as Json).output);
  assert.deepEqual(outputs, ['{"error":"unknown tool: nope"}', answer]);
  assert.deepEqual(
    events.filter((e) => e.name === "tool_call").map((e) => [e.data?.name, e.data?.ok]),
    [["nope", false], ["lookup", true]],
  );
  await agent.close("test over");
  assert.equal(timers.pending, 0);
});
