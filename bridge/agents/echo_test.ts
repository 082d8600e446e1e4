import assert from "node:assert/strict";
import { concatPcm } from "../../lib/audio/pcm.ts";
import { dominantTone, sine } from "../../lib/audio/tone.ts";
import { OutboundPlayer } from "../media/outbound_player.ts";
import type { AgentContext, TranscriptEntry } from "./agent.ts";
import { CHIME_TONES_HZ, EchoAgent } from "./echo.ts";

function harness() {
  const audio = new OutboundPlayer();
  const transcripts: TranscriptEntry[] = [];
  const events: string[] = [];
  const hangups: string[] = [];
  const ctx: AgentContext = {
    callId: "wacid.test",
    audio,
    onTranscript: (t) => transcripts.push(t),
    onEvent: (name) => events.push(name),
    requestHangup: (r) => hangups.push(r),
    onFatal: (e) => {
      throw e;
    },
    onUsage: () => {},
    history: () => transcripts,
  };
  return { audio, transcripts, events, hangups, ctx };
}

function frames(pcm: Int16Array): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + 480 <= pcm.length; i += 480) out.push(pcm.slice(i, i + 480));
  return out;
}

function drain(audio: OutboundPlayer): Int16Array {
  const chunks: Int16Array[] = [];
  while (audio.queuedMs() > 0) chunks.push(audio.nextFrame().slice());
  return concatPcm(chunks);
}

Deno.test("EchoAgent greets with the two-tone chime on accept", async () => {
  const h = harness();
  const agent = new EchoAgent();
  await agent.start(h.ctx);
  agent.callAccepted();
  const played = drain(h.audio);
  const half = played.length / 2;
  assert.equal(
    dominantTone(played.subarray(0, half), 24000, [...CHIME_TONES_HZ, 440]).freqHz,
    CHIME_TONES_HZ[0],
  );
  assert.equal(
    dominantTone(played.subarray(half), 24000, [...CHIME_TONES_HZ, 440]).freqHz,
    CHIME_TONES_HZ[1],
  );
});

Deno.test("EchoAgent plays an utterance back after the caller stops, and records both sides", async () => {
  const h = harness();
  const agent = new EchoAgent({ now: () => 1_000 });
  await agent.start(h.ctx);
  for (const f of frames(sine(440, 24000, 24000, 8000))) agent.pushAudio(f); // 1 s of speech
  assert.equal(h.audio.queuedMs(), 0, "nothing is echoed while the caller speaks");
  for (let i = 0; i < 25; i++) agent.pushAudio(new Int16Array(480)); // 500 ms of silence
  assert.equal(h.audio.queuedMs(), 1000, "exactly the voiced second comes back");
  assert.equal(dominantTone(drain(h.audio), 24000, [440, 660, 880]).freqHz, 440);
  assert.deepEqual(h.transcripts.map((t) => t.speaker), ["caller", "agent"]);
});

Deno.test("EchoAgent ignores noise below the threshold and flushes playback on barge-in", async () => {
  const h = harness();
  const agent = new EchoAgent();
  await agent.start(h.ctx);
  for (const f of frames(sine(440, 24000, 24000, 200))) agent.pushAudio(f);
  assert.equal(h.events.length, 0, "noise is not speech");
  agent.callAccepted();
  h.audio.nextFrame();
  for (const f of frames(sine(440, 24000, 960, 8000))) agent.pushAudio(f);
  assert.equal(h.audio.queuedMs(), 0, "the chime stopped when the caller spoke");
  assert.ok(h.events.includes("barge_in"));
});

Deno.test("EchoAgent reports DTMF and hangs up on goodbye", async () => {
  const h = harness();
  const agent = new EchoAgent();
  await agent.start(h.ctx);
  agent.pushDtmf("5");
  agent.sayGoodbye("max_duration");
  assert.deepEqual(h.events, ["dtmf"]);
  assert.deepEqual(h.hangups, ["max_duration"]);
  await agent.close("done");
});

Deno.test("EchoAgent speaks the configured greeting, with its transcript line; the chime when speech fails", async () => {
  const h = harness();
  const voice = sine(300, 24000, 24000, 8000);
  const agent = new EchoAgent({ greeting: "Welcome to Acme", speak: () => Promise.resolve(voice) });
  await agent.start(h.ctx);
  agent.callAccepted();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(h.audio.queuedMs(), 1000);
  assert.equal(dominantTone(drain(h.audio), 24000, [...CHIME_TONES_HZ, 300]).freqHz, 300);
  assert.deepEqual(h.transcripts.map((t) => [t.speaker, t.text]), [["agent", "Welcome to Acme"]]);

  const mute = harness();
  const failing = new EchoAgent({ greeting: "Hi", speak: () => Promise.resolve(undefined) });
  await failing.start(mute.ctx);
  failing.callAccepted();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(mute.events, ["agent_greeting"]);
  assert.equal(mute.audio.queuedMs(), 300, "the chime");
});
