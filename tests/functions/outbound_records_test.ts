/**
 * What a business-initiated call leaves behind (issue 17: "recorded, costed
 * and analysed like an inbound one"), through the real stack: the functions
 * server, the bridge as the offerer with `RECORDING=on`, the OpenAI agent and
 * the post-call analysis against the fake OpenAI (Realtime and Responses on
 * one port), `META_CALL_PRICING`, and a `CALL_WEBHOOK_URL` receiver that
 * checks each Standard Webhooks signature.
 */
import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import { generateWebhookSecret } from "../../lib/webhooks/standard_webhooks.ts";
import { callWebhookPayloadSchema } from "../../lib/webhooks/call_webhook_payload.ts";
import type { CallCost, CallLatency } from "../../bridge/figures/settle.ts";
import { Receiver } from "../../bridge/post_call/_test_utils.ts";
import { FakeRealtimeServer } from "../fakes/openai_realtime.ts";
import { until } from "../support/until.ts";
import { newCallee, outboundRig } from "./outbound_rig.ts";

const PURPOSE = {
  instructions: "You call {{name}} to confirm the appointment at {{appointment_time}}.",
  greeting: "Hello {{name}}, this is Acme about your {{appointment_time}} appointment.",
  variables: { name: "Ana", appointment_time: "10:30" },
};

/** +44 at $0.06 a minute: a 1 s pulse of 6 s costs $0.006. */
const PER_MINUTE_44 = 0.06;

/** The user answers for 1 s (300 Hz) once the agent was heard, then is silent. */
const userVoice = (frame: number) => frame < 50 ? sine(300, 24000, 480, 6000) : null;

/** Channels and duration (s) of an Ogg Opus file: OpusHead, and the last page's granule at 48 kHz. */
function oggOpusFacts(ogg: Uint8Array): { channels: number; seconds: number } {
  const text = new TextDecoder("latin1").decode(ogg);
  const head = text.indexOf("OpusHead");
  assert.ok(text.startsWith("OggS") && head > 0, "an Ogg Opus stream");
  const preSkip = ogg[head + 10]! | (ogg[head + 11]! << 8);
  const last = text.lastIndexOf("OggS");
  const view = new DataView(ogg.buffer, ogg.byteOffset + last + 6, 8);
  const granule = Number(view.getBigUint64(0, true));
  return { channels: ogg[head + 9]!, seconds: (granule - preSkip) / 48_000 };
}

Deno.test("business-initiated call: stereo recording, Meta's pulses + OpenAI cost, latency, analysis, signed webhooks", async () => {
  const fake = FakeRealtimeServer.start({
    apiKey: "sk-outbound-records",
    transcripts: ["Yes, 10:30 works, thank you."],
  });
  const secret = generateWebhookSecret();
  const receiver = new Receiver(secret).up();
  const dir = await Deno.makeTempDir();
  const rig = await outboundRig({}, {
    configuredAgent: true,
    callRecords: true,
    env: {
      AGENT: "openai",
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_REALTIME_URL: fake.url,
      RECORDING: "on",
      RECORDINGS_DIR: dir,
      CALL_WEBHOOK_URL: receiver.url(),
      CALL_WEBHOOK_SECRET: secret,
      META_CALL_PRICING: JSON.stringify({ perMinuteUsd: { "44": PER_MINUTE_44 } }),
    },
  });
  try {
    const user = newCallee();
    await rig.grant(user);
    rig.phone.script(user, { answer: "accept", ringMs: 300, talkMs: 4000, voice: userVoice });
    const res = await rig.place({ user, purpose: PURPOSE });
    const placed = await res.json();
    assert.equal(res.status, 201, JSON.stringify(placed));
    const callId: string = placed.call.id;
    await (await rig.phone.waitForCall(callId)).ended;
    const done = await rig.callUntil(callId, (c) => c.status === "completed");
    const callSeconds = (done.endedAt!.getTime() - done.acceptedAt!.getTime()) / 1000;

    // Both webhooks, each signed, as the receiver checked them.
    await until(() => receiver.received.length >= 2, 20_000, "call.ended and call.analyzed");
    assert.ok(receiver.received.every((r) => r.signed), "every delivery signed");
    const bodies = receiver.received.map((r) => callWebhookPayloadSchema.parse(JSON.parse(r.body)));
    assert.deepEqual(bodies.map((b) => b.type).sort(), ["call.analyzed", "call.ended"]);
    for (const b of bodies) {
      assert.equal(b.data.call.id, callId);
      assert.equal(b.data.call.direction, "business_initiated");
    }

    // Cost: Meta's 6-second pulses at +44's rate, and the Realtime usage the fake reported.
    const figures = await rig.store.getFigures(callId);
    assert.ok(figures, "figures settled");
    const cost = figures.cost as unknown as CallCost;
    assert.equal(cost.meta.direction, "business_initiated");
    assert.equal(cost.meta.countryCode, "44");
    assert.equal(cost.meta.pulses, Math.ceil(callSeconds / 6), `${callSeconds} s`);
    assert.ok(Math.abs(cost.meta.usd - cost.meta.pulses * PER_MINUTE_44 / 10) < 1e-9);
    assert.ok(cost.openai.totalUsd > 0, JSON.stringify(cost.openai));
    assert.ok(
      Math.abs(cost.totalUsd - (cost.meta.usd + cost.openai.totalUsd)) < 1e-6,
      JSON.stringify(cost),
    );
    const ended = bodies.find((b) => b.type === "call.ended")!;
    assert.deepEqual(ended.data.cost, figures.cost, "the webhook carries the stored cost");

    // Latency: the greeting after accept, and the user's answer answered.
    const latency = figures.latency as unknown as CallLatency;
    assert.ok(latency.acceptToFirstAudioMs !== null, JSON.stringify(latency));
    assert.ok(latency.turns >= 1 && latency.p50Ms! > 0, JSON.stringify(latency));

    // Analysis through the fake Responses API, stored and delivered.
    const analysis = await rig.store.getAnalysis(callId);
    assert.equal(analysis?.status, "analysed", JSON.stringify(analysis));
    assert.ok(analysis.usage && analysis.usage.inputTokens > 0);
    assert.equal(fake.textApi.requests.length, 1, "one Responses request");
    const analyzed = bodies.find((b) => b.type === "call.analyzed")!;
    assert.equal((analyzed.data.analysis as { status: string }).status, "analysed");

    // The recording: stereo Ogg Opus lasting about as long as the call, served by its link.
    const row = await rig.store.getRecording(callId);
    assert.ok(row, "recording stored");
    const link = ended.data.recordingUrl;
    assert.ok(link, "call.ended links the recording");
    // The rig's bridge listens on a port picked at start: RECORDINGS_PUBLIC_URL could not name it.
    const signed = new URL(link);
    const got = await fetch(`${rig.bridge.url}${signed.pathname}${signed.search}`);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("content-type"), "audio/ogg");
    const ogg = new Uint8Array(await got.arrayBuffer());
    const facts = oggOpusFacts(ogg);
    assert.equal(facts.channels, 2, "stereo: user left, agent right");
    assert.ok(
      Math.abs(facts.seconds - callSeconds) <= 1.5,
      `recording ${facts.seconds} s, call ${callSeconds} s`,
    );
  } finally {
    await rig.close();
    await receiver.down();
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
