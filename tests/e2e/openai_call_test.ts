/**
 * Whole calls through the stack as a real process with the OpenAI agent,
 * played against the fake Realtime service: audio both ways, transcripts,
 * barge-in, DTMF and a dropped OpenAI socket.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { sine } from "../../lib/audio/tone.ts";
import { FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import type { CallRecords } from "./stack.ts";
import { withOpenAIStack } from "./openai_stack.ts";
import { appendedAudio, classifyFrames, type HeardFrame, toneShare, voicedPart } from "./tones.ts";

const CALLER_HZ = 440;
const GREETING_HZ = 700;
const REPLY_HZ = 1100;
const TONES = [CALLER_HZ, GREETING_HZ, REPLY_HZ];
/** One second of the caller "speaking" (24 kHz). */
const SPEECH = sine(CALLER_HZ, 24000, 24000, 8000);

/** When (performance.now) the fake next sends `type`. */
function whenSent(fake: FakeRealtimeServer, type: string): Promise<number> {
  return fake.waitForSent(type, () => true, 30_000).then(() => performance.now());
}

function heardMs(frames: readonly HeardFrame[], hz: number): number {
  return frames.filter((f) => f.hz === hz).length * 20;
}

function names(r: CallRecords): string[] {
  return [...r.events].sort((a, b) => a.id - b.id).map((e) => e.name);
}

/** The order of the first occurrence of each of `wanted` in `list`; fails on a missing one. */
function assertInOrder(list: readonly string[], wanted: readonly string[]): void {
  const at = wanted.map((w) => list.indexOf(w));
  assert.ok(at.every((i) => i >= 0), `missing ${wanted.filter((_, k) => at[k]! < 0)} in ${list}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, `out of order: ${list}`);
}

const sessionEndedSchema = z.object({
  stats: z.object({ packetsSent: z.number(), skippedTicks: z.number() }),
});

/**
 * Judges the bridge's RTP clock, not the scheduler: the timestamp tracks media
 * time, so each Opus packet's is one 20 ms frame (960) past its predecessor's,
 * plus one frame per tick the bridge's clock skipped after an event-loop stall
 * (a loaded machine may stall it; the bridge reports the skips). Every
 * difference is thus a whole number of frames, at least one, and the frames
 * missing on the wire are skips the bridge reported: all of them when the
 * caller heard every packet, else (skips after it stopped listening) no more.
 */
function assertRtpClock(timestamps: readonly number[], records: CallRecords): void {
  const ended = records.events.find((e) => e.name === "bridge_session_ended");
  const { stats } = sessionEndedSchema.parse(ended?.data);
  let skipped = 0;
  for (let i = 1; i < timestamps.length; i++) {
    const frames = ((timestamps[i]! - timestamps[i - 1]!) >>> 0) / 960;
    assert.ok(
      Number.isInteger(frames) && frames >= 1,
      `RTP timestamp moved ${frames} frames at ${i}`,
    );
    skipped += frames - 1;
  }
  const reported =
    `${skipped} frames skipped on the wire, ${stats.skippedTicks} ticks at the bridge`;
  if (timestamps.length === stats.packetsSent) assert.equal(skipped, stats.skippedTicks, reported);
  else assert.ok(skipped <= stats.skippedTicks, reported);
}

const ended = (r: CallRecords) =>
  r.call?.status === "completed" && r.events.some((e) => e.name === "bridge_session_ended");

Deno.test("e2e: a call with the OpenAI agent carries audio both ways and is recorded", async () => {
  await withOpenAIStack({
    transcripts: ["I would like to check my order."],
    responses: [
      {
        kind: "audio",
        transcript: "Hello, thanks for calling.",
        toneHz: GREETING_HZ,
        durationMs: 600,
      },
      {
        kind: "audio",
        transcript: "Your order ships tomorrow.",
        toneHz: REPLY_HZ,
        durationMs: 800,
      },
    ],
  }, async (stack, fake) => {
    const speechStarted = whenSent(fake, "input_audio_buffer.speech_started");
    const result = await stack.call({ speech: SPEECH, speakAfterMs: 1000, listenMs: 3000 });
    assert.equal(result.outcome, "completed");

    const frames = classifyFrames(result.caller.heard, result.caller.heardAt, TONES);
    const speechAt = await speechStarted;
    const greeting = frames.filter((f) => f.hz === GREETING_HZ);
    const reply = frames.filter((f) => f.hz === REPLY_HZ);
    assert.ok(
      heardMs(frames, GREETING_HZ) >= 400,
      `greeting heard ${heardMs(frames, GREETING_HZ)} ms`,
    );
    assert.ok(
      greeting.every((f) => f.at < speechAt),
      "the greeting played before the caller spoke",
    );
    assert.ok(heardMs(frames, REPLY_HZ) >= 560, `reply heard ${heardMs(frames, REPLY_HZ)} ms`);
    assert.ok(reply.every((f) => f.at > speechAt), "the reply came after the caller spoke");
    assert.equal(heardMs(frames, CALLER_HZ), 0, "the caller never hears their own voice");

    // The caller's voice reached OpenAI as 24 kHz PCM, still a 440 Hz tone.
    const voiced = voicedPart(appendedAudio(fake));
    assert.ok(voiced.length >= 0.8 * SPEECH.length, `${voiced.length} voiced samples at OpenAI`);
    const share = toneShare(voiced, CALLER_HZ, TONES);
    assert.ok(share >= 0.9, `${(share * 100).toFixed(0)}% of the voiced frames are 440 Hz`);

    const records = await stack.records(
      result.callId,
      (r) => ended(r) && r.transcripts.length >= 3,
    );
    const call = records.call!;
    assert.equal(call.status, "completed");
    assert.equal(call.endReason, "meta_completed");
    assert.ok(call.acceptedAt !== null && call.endedAt !== null);
    assert.ok((call.durationSeconds ?? -1) >= 1, `duration ${call.durationSeconds}`);
    // The bridge records its own events without waiting, so only causally
    // ordered ones are checked for order.
    const events = names(records);
    assertInOrder(events, ["connect", "accepted", "terminate", "bridge_session_ended"]);
    for (const name of ["bridge_session_started", "bridge_accept"]) {
      assert.ok(events.includes(name), `${name} missing in ${events}`);
    }
    assert.deepEqual(
      records.transcripts.map((t) => [t.speaker, t.text, t.interrupted]),
      [
        ["agent", "Hello, thanks for calling.", false],
        ["caller", "I would like to check my order.", false],
        ["agent", "Your order ships tomorrow.", false],
      ],
    );
  });
});

Deno.test("e2e: the caller barges in on a long reply, which stops and is truncated", async () => {
  const transcript = "Thanks for calling Acme, where every order is tracked from the moment you " +
    "place it until the moment it arrives at your door, so let me tell you about our options.";
  await withOpenAIStack({
    transcripts: ["Stop, please."],
    // Long enough that the fake (4x real time) is still streaming it at the barge-in.
    responses: [{ kind: "audio", transcript, toneHz: GREETING_HZ, durationMs: 8000 }],
    defaultResponse: { kind: "audio", transcript: "Sure.", toneHz: REPLY_HZ, durationMs: 400 },
  }, async (stack, fake) => {
    const speechStarted = whenSent(fake, "input_audio_buffer.speech_started");
    const speakAfterMs = 1000;
    const result = await stack.call({ speech: SPEECH, speakAfterMs, listenMs: 2000 });
    assert.equal(result.outcome, "completed");
    const speechAt = await speechStarted;

    const truncate = await fake.waitForEvent("conversation.item.truncate");
    const endMs = truncate.audio_end_ms as number;
    assert.ok(Number.isInteger(endMs) && endMs > 0 && endMs < 8000, `audio_end_ms ${endMs}`);
    // The service accepted it: not beyond the audio it had sent.
    await fake.waitForSent("conversation.item.truncated", (e) => e.audio_end_ms === endMs);
    // interrupt_response: the service cancelled the reply itself; a client cancel
    // would only have drawn response_cancel_not_active.
    const cancelled = await fake.waitForSent("response.done");
    assert.equal((cancelled.response as { status: string }).status, "cancelled");
    assert.deepEqual(fake.receivedOf("response.cancel"), [], "no response.cancel sent");
    assert.deepEqual(fake.sent.filter((e) => e.type === "error").map((e) => e.event), []);

    const frames = classifyFrames(result.caller.heard, result.caller.heardAt, TONES);
    const heardReply = heardMs(frames, GREETING_HZ);
    // What the bridge says was played is what the caller heard, give or take the
    // frames in flight and the Opus tail.
    assert.ok(Math.abs(endMs - heardReply) <= 200, `truncated at ${endMs}, heard ${heardReply}`);
    const lastReplyAt = Math.max(...frames.filter((f) => f.hz === GREETING_HZ).map((f) => f.at));
    const stopMs = lastReplyAt - speechAt;
    assert.ok(stopMs <= 300, `reply still heard ${stopMs.toFixed(0)} ms after speech_started`);
    // As the caller perceives it: from their first word to the agent's silence.
    const spokeAt = stack.graph.webhooks[0]!.at + result.timeline.firstAgentAudio! + speakAfterMs;
    const bargeInMs = lastReplyAt - spokeAt;
    assert.ok(bargeInMs <= 500, `reply heard ${bargeInMs.toFixed(0)} ms into the interruption`);
    assert.ok(heardMs(frames, REPLY_HZ) >= 300, "the answer to the interruption was heard");

    const records = await stack.records(
      result.callId,
      (r) => ended(r) && r.transcripts.length >= 3,
    );
    const agent = records.transcripts.filter((t) => t.speaker === "agent");
    // One line for the cut reply, marked interrupted and shorter than the script.
    assert.deepEqual(agent.map((t) => t.interrupted), [true, false], JSON.stringify(agent));
    const cut = agent[0]!;
    assert.ok(cut.text.length > 0 && cut.text.length < transcript.length, cut.text);
    // A slice of the script: the agent loses the words whose transcript deltas
    // precede the item's first audio delta, so the start is not checked here.
    assert.ok(transcript.includes(cut.text), `"${cut.text}" is not what the agent said`);
    assert.ok(records.events.some((e) => e.name === "barge_in"));
  });
});

Deno.test("e2e: DTMF digits reach the OpenAI agent and the call record", async () => {
  await withOpenAIStack({
    responses: [{
      kind: "audio",
      transcript: "Press 1 for orders.",
      toneHz: GREETING_HZ,
      durationMs: 400,
    }],
    defaultResponse: { kind: "audio", transcript: "Got it.", toneHz: REPLY_HZ, durationMs: 300 },
  }, async (stack, fake) => {
    const result = await stack.call({ dtmf: ["1", "2", "#"], speakAfterMs: 600, listenMs: 1500 });
    assert.equal(result.outcome, "completed");

    const texts = fake.receivedOf("conversation.item.create").flatMap((e) => {
      const content = (e.item as { content?: { text?: string }[] }).content ?? [];
      return content.map((c) => c.text ?? "");
    });
    assert.deepEqual(texts, ["1", "2", "#"].map((d) => `[The caller pressed ${d} on the keypad]`));
    const frames = classifyFrames(result.caller.heard, result.caller.heardAt, TONES);
    assert.ok(heardMs(frames, REPLY_HZ) >= 200, "the agent answered the key presses");

    const records = await stack.records(
      result.callId,
      (r) => ended(r) && r.events.filter((e) => e.name === "dtmf").length >= 3,
    );
    const digits = records.events.filter((e) => e.name === "dtmf").sort((a, b) => a.id - b.id)
      .map((e) => (e.data as { digit?: string }).digit);
    assert.deepEqual(digits, ["1", "2", "#"]);
  });
});

Deno.test("e2e: a dropped OpenAI socket reconnects without hanging up or gapping media", async () => {
  await withOpenAIStack({
    transcripts: ["Are you still there?"],
    responses: [
      { kind: "audio", transcript: "Hello.", toneHz: GREETING_HZ, durationMs: 400 },
      { kind: "audio", transcript: "Yes, I am.", toneHz: REPLY_HZ, durationMs: 600 },
    ],
  }, async (stack, fake) => {
    let droppedAt = NaN;
    const reconnected = fake.waitForEvent("session.update", (_, n) => n === 2, 30_000)
      .then(() => performance.now());
    const result = await stack.call({
      speech: SPEECH,
      speakAfterMs: 2000,
      listenMs: 2500,
      // Once the greeting has played the bridge is sending silence: drop then.
      onStep: (step) => {
        if (step !== "firstAgentAudio") return;
        setTimeout(() => {
          droppedAt = performance.now();
          fake.dropAll(1011, "fake service restart");
        }, 700);
      },
    });
    assert.equal(result.outcome, "completed");
    const reconnectedAt = await reconnected;
    assert.ok(reconnectedAt > droppedAt, "reconnected after the drop");
    assert.ok(reconnectedAt - droppedAt < 2000, `reconnect took ${reconnectedAt - droppedAt} ms`);
    const actions = stack.graph.actionsFor(result.callId);
    assert.deepEqual(actions, ["pre_accept", "accept"], "the stack never hung up");

    // Every packet arrived (RTP sequence unbroken) and none late across the reconnect.
    const { heardRtp, heardAt } = result.caller;
    for (let i = 1; i < heardRtp.length; i++) {
      assert.equal((heardRtp[i]!.seq - heardRtp[i - 1]!.seq) & 0xffff, 1, `RTP gap at ${i}`);
    }
    // Arrival gaps count stalls of this test process too, which shares the CPUs
    // with the parallel suite, so their bound is loose (the RTP clock is judged
    // on timestamps, against the skips the bridge reports, once the call ended).
    const opus = heardRtp.filter((p) => p.pt === 111);
    assert.equal(opus.length, heardAt.length, "every Opus packet decoded");
    let maxGap = 0;
    for (let i = 1; i < heardAt.length; i++) {
      if (heardAt[i]! < droppedAt - 100 || heardAt[i - 1]! > reconnectedAt + 500) continue;
      maxGap = Math.max(maxGap, heardAt[i]! - heardAt[i - 1]!);
    }
    assert.ok(maxGap <= 250, `${maxGap.toFixed(0)} ms without media during the reconnect`);

    // The conversation goes on over the new socket.
    const voiced = voicedPart(appendedAudio(fake, 2));
    assert.ok(voiced.length >= 0.8 * SPEECH.length, `${voiced.length} voiced samples at OpenAI`);
    const share = toneShare(voiced, CALLER_HZ, TONES);
    assert.ok(share >= 0.9, `${(share * 100).toFixed(0)}% of the new session's speech is 440 Hz`);
    const frames = classifyFrames(result.caller.heard, heardAt, TONES);
    assert.ok(heardMs(frames, REPLY_HZ) >= 400, "the reply after the reconnect was heard");

    const records = await stack.records(result.callId, ended);
    assert.equal(records.call?.status, "completed");
    const events = names(records);
    assert.ok(events.includes("openai_reconnected"), `events: ${events}`);
    assert.ok(!events.includes("terminate_sent"), `events: ${events}`);
    assertRtpClock(opus.map((p) => p.ts), records);
  });
});

const RATE_LIMITED = {
  type: "tokens",
  code: "rate_limit_exceeded",
  message: "Rate limit reached for gpt-realtime-2.1 in organization org-e2e on tokens per min " +
    "(TPM): Limit 40000, Used 40000, Requested 3188. Please try again in 0.2s.",
};

Deno.test("e2e: a greeting the service fails (rate limited) is retried and heard", async () => {
  await withOpenAIStack({
    responses: [
      { kind: "failed", error: RATE_LIMITED },
      {
        kind: "audio",
        transcript: "Hello, thanks for calling.",
        toneHz: GREETING_HZ,
        durationMs: 600,
      },
    ],
  }, async (stack, fake) => {
    const result = await stack.call({ listenMs: 1500 });
    assert.equal(result.outcome, "completed");
    const frames = classifyFrames(result.caller.heard, result.caller.heardAt, TONES);
    assert.ok(
      heardMs(frames, GREETING_HZ) >= 400,
      `greeting heard ${heardMs(frames, GREETING_HZ)} ms`,
    );
    const purposes = fake.receivedOf("response.create").map((e) =>
      (e.response as { metadata?: { purpose?: string } }).metadata?.purpose
    );
    assert.deepEqual(purposes, ["greeting", "greeting"]);
    const records = await stack.records(
      result.callId,
      (r) => ended(r) && r.transcripts.length >= 1,
    );
    assert.deepEqual(records.transcripts.map((t) => t.text), ["Hello, thanks for calling."]);
  });
});

Deno.test("e2e: a service that keeps failing: the bridge hangs up at Meta and records why, never silence", async () => {
  await withOpenAIStack({
    defaultResponse: {
      kind: "failed",
      error: { type: "server_error", code: "server_error", message: "The server had an error." },
    },
  }, async (stack) => {
    const result = await stack.call({ listenMs: 500, stepTimeoutMs: 8000 });
    assert.notEqual(result.outcome, "completed", "the caller never heard an agent");
    const actions = stack.graph.actionsFor(result.callId);
    assert.deepEqual(actions, ["pre_accept", "accept", "terminate"], "the bridge hung up");
    const records = await stack.records(
      result.callId,
      (r) => r.events.some((e) => e.name === "terminate_sent"),
    );
    assert.match(
      records.call?.endReason ?? "",
      /^agent_failed: the greeting response failed 3 times/,
    );
    const failed = records.events.find((e) => e.name === "openai_response_failed");
    assert.deepEqual(failed?.data, {
      purpose: "greeting",
      attempts: 3,
      reason: "failed: server_error",
    });
  });
});
