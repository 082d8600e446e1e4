/**
 * The OpenAI agent never leaves a caller in silence: every failure the
 * service reports ends in a spoken response, a reconnect that keeps the voice,
 * or a recorded failure that ends the call.
 */
import assert from "node:assert/strict";
import { type FakeError, SESSION_EXPIRED_REASON, tone } from "../../tests/fakes/openai_realtime.ts";
import {
  fakeCall,
  type Harness,
  harness,
  type Json,
  pushPcm,
  silence,
  soon,
  untilHeard,
} from "./_openai_harness.ts";

const SERVER_ERROR: FakeError = {
  type: "server_error",
  code: "server_error",
  message: "The server had an error while processing your request.",
};
const RATE_LIMITED: FakeError = {
  type: "tokens",
  code: "rate_limit_exceeded",
  message: "Rate limit reached for gpt-realtime-2.1 in organization org-x on tokens per min " +
    "(TPM): Limit 40000, Used 40000, Requested 3188. Please try again in 0.05s.",
};
const HELLO = { kind: "audio", transcript: "Hello.", durationMs: 200 } as const;

/** The caller speaks one turn (tone, then enough silence for server VAD to end it). */
const speak = (h: Harness) =>
  pushPcm(h.agent, new Int16Array([...tone(300, 400), ...silence(600)]));

function said(h: Harness, text: string): boolean {
  return h.transcripts.some((t) => t.speaker === "agent" && t.text === text);
}

Deno.test("recovery: an error event answering the greeting's create: the greeting is retried and heard", async () => {
  const h = harness({ responses: [{ kind: "refused", error: SERVER_ERROR }, HELLO] });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await untilHeard(h, () => said(h, "Hello."), "the greeting, on its second try");
    const creates = h.fake.receivedOf("response.create");
    assert.equal(creates.length, 2);
    assert.deepEqual(creates[1]!.response, creates[0]!.response, "the same greeting");
    assert.equal(h.fatals.length, 0);
  } finally {
    await h.done();
  }
});

Deno.test("recovery: a response that fails (rate limited) is retried after the wait the service asks for", async () => {
  const h = harness({ responses: [{ kind: "failed", error: RATE_LIMITED }, HELLO] });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    const failed = await h.fake.waitForSent("response.done");
    assert.deepEqual((failed.response as Json).status_details, {
      type: "failed",
      error: RATE_LIMITED,
    });
    await untilHeard(h, () => said(h, "Hello."), "the greeting, on its second try");
    assert.equal(h.fatals.length, 0);
  } finally {
    await h.done();
  }
});

Deno.test("recovery: the organisation's token budget running out fails a response; the retry is heard", async () => {
  // The greeting uses the budget; the reply to the caller finds it spent until the window resets.
  const h = harness({
    transcripts: ["Hi"],
    responses: [HELLO, { kind: "audio", transcript: "How can I help?", durationMs: 200 }],
    // The greeting takes 111 tokens here, the reply 94.
    rateLimit: { tokensPerMinute: 150, windowMs: 1000 },
  });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await untilHeard(h, () => said(h, "Hello."), "the greeting");
    speak(h);
    await untilHeard(h, () => said(h, "How can I help?"), "the reply once the budget reset");
    const failures = h.fake.sent.filter((e) =>
      e.type === "response.done" && (e.event.response as Json).status === "failed"
    );
    assert.ok(failures.length >= 1, "the VAD's reply was rate limited at first");
    const retry = h.fake.receivedOf("response.create").at(-1)!;
    assert.deepEqual((retry.response as Json).metadata, { purpose: "reply" });
  } finally {
    await h.done();
  }
});

Deno.test("recovery: a response failing on every try ends the call, recorded, instead of silence", async () => {
  const failed = { kind: "failed", error: SERVER_ERROR } as const;
  const h = harness({ responses: [failed, failed, failed, HELLO] });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await soon(() => h.fatals.length === 1, "the call given up");
    assert.match(h.fatals[0]!.message, /greeting response failed 3 times \(failed: server_error\)/);
    assert.deepEqual(h.events.find((e) => e.name === "openai_response_failed")?.data, {
      purpose: "greeting",
      attempts: 3,
      reason: "failed: server_error",
    });
    assert.equal(h.fake.receivedOf("response.create").length, 3);
  } finally {
    await h.done();
  }
});

Deno.test("recovery: a goodbye that keeps failing still hangs up", async () => {
  const failed = { kind: "failed", error: SERVER_ERROR } as const;
  const h = harness({ responses: [failed, failed, failed] });
  try {
    await h.agent.start(h.ctx);
    h.agent.sayGoodbye("max_duration");
    await soon(() => h.hangups.length === 1, "hang-up");
    assert.deepEqual(h.hangups, ["max_duration"]);
    assert.equal(h.fake.receivedOf("response.create").length, 3, "tried three times");
    assert.equal(h.fatals.length, 0);
  } finally {
    await h.done();
  }
});

Deno.test("recovery: a failed reply to the caller is asked for again", async () => {
  const h = harness({
    transcripts: ["Where is my order?"],
    responses: [{ kind: "failed", error: SERVER_ERROR }, HELLO],
  });
  try {
    await h.agent.start(h.ctx);
    speak(h);
    await untilHeard(h, () => said(h, "Hello."), "the reply, asked for again");
    const [create] = h.fake.receivedOf("response.create");
    assert.deepEqual((create!.response as Json).metadata, { purpose: "reply" });
  } finally {
    await h.done();
  }
});

Deno.test("recovery: after a reconnect the agent still speaks (no assistant text replayed)", async () => {
  const h = harness({
    transcripts: ["Are you there?"],
    responses: [HELLO, { kind: "audio", transcript: "Yes, I am.", durationMs: 200 }],
  });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await untilHeard(h, () => said(h, "Hello."), "the greeting");
    h.fake.dropAll(1011, "fake restart");
    await soon(() => h.events.some((e) => e.name === "openai_reconnected"), "reconnect");
    speak(h);
    await untilHeard(h, () => said(h, "Yes, I am."), "the spoken reply after the reconnect");
    const text = h.fake.sent.filter((e) => e.type === "response.output_text.delta");
    assert.deepEqual(text, [], "the model never fell back to text");
  } finally {
    await h.done();
  }
});

Deno.test("recovery: at the session's maximum duration the agent reconnects and keeps speaking", async () => {
  const h = harness({
    maxSessionMs: 500,
    transcripts: ["Still there?"],
    responses: [HELLO, { kind: "audio", transcript: "Right here.", durationMs: 200 }],
  });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await untilHeard(h, () => said(h, "Hello."), "the greeting");
    await soon(() => h.events.some((e) => e.name === "openai_reconnected"), "reconnect", 2000);
    speak(h);
    await untilHeard(h, () => said(h, "Right here."), "the reply in the new session");
    assert.equal(h.fatals.length, 0);
    assert.ok(h.fake.urls.length >= 2);
  } finally {
    await h.done();
  }
  assert.match(SESSION_EXPIRED_REASON, /maximum duration of 60 minutes/);
});

Deno.test("recovery: a text-only answer is deleted and asked for again, in speech", async () => {
  const { agent, socket, timers } = await fakeCall({ responseRetryMs: 100 });
  agent.callAccepted();
  const ref = { response_id: "resp_1", item_id: "item_t", output_index: 0, content_index: 0 };
  const response = { id: "resp_1", metadata: { purpose: "greeting" } };
  socket.receive({ type: "response.created", response: { ...response, status: "in_progress" } });
  socket.receive({ type: "response.output_text.delta", ...ref, delta: "Hello." });
  socket.receive({ type: "response.output_text.done", ...ref, text: "Hello." });
  socket.receive({ type: "response.done", response: { ...response, status: "completed" } });
  assert.deepEqual(socket.sentOf("conversation.item.delete").map((f) => f.item_id), ["item_t"]);
  await timers.advance(100);
  const creates = socket.sentOf("response.create");
  assert.equal(creates.length, 2, "asked for again");
  assert.deepEqual((creates[1]!.response as Json).output_modalities, ["audio"]);
  await agent.close("test over");
});

Deno.test("recovery: a create nothing answers is sent again", async () => {
  const { agent, socket, timers } = await fakeCall({
    responseCreateTimeoutMs: 1000,
    responseRetryMs: 100,
  });
  agent.callAccepted();
  await timers.advance(1099);
  assert.equal(socket.sentOf("response.create").length, 1);
  await timers.advance(1);
  assert.equal(socket.sentOf("response.create").length, 2);
  await agent.close("test over");
  assert.equal(timers.pending, 0);
});

Deno.test("recovery: a silent caller is re-engaged by the model before the silence hang-up", async () => {
  const h = harness({
    responses: [HELLO, { kind: "audio", transcript: "Are you still there?", durationMs: 200 }],
  }, { idleTimeoutMs: 5000 });
  try {
    await h.agent.start(h.ctx);
    h.agent.callAccepted();
    await untilHeard(h, () => said(h, "Hello."), "the greeting");
    pushPcm(h.agent, silence(5400)); // 5.4 s of line noise-free silence, sent at once
    await untilHeard(h, () => said(h, "Are you still there?"), "the model re-engaging");
    assert.ok(h.events.some((e) => e.name === "caller_idle"));
    assert.equal(h.fake.receivedOf("response.create").length, 1, "the service's own response");
  } finally {
    await h.done();
  }
});
