import assert from "node:assert/strict";
import { loadConfig } from "../config.ts";
import type { Agent, AgentContext } from "../agents/agent.ts";
import { EchoAgent } from "../agents/echo.ts";
import { OpenAIRealtimeAgent } from "../agents/openai.ts";
import type { SessionRecording } from "../recording/recordings.ts";
import type { SessionRequest } from "../session/session_deps.ts";
import { callSettingsResolver, withLanguage } from "./call_settings.ts";
import { OUTSIDE_HOURS_REASON, OutsideHoursAgent } from "./outside_hours_agent.ts";
import type { AgentSettings } from "../../lib/agent_settings/schema.ts";
import { missingTool } from "../../tests/support/command.ts";
import { until } from "../../tests/support/until.ts";

const config = loadConfig({
  VOICE_BRIDGE_SECRET: "0123456789abcdef0123",
  OPENAI_API_KEY: "sk-test",
  MAX_CALL_MINUTES: "10",
  AGENT_TOOLS: JSON.stringify([
    { name: "lookup", url: "http://127.0.0.1:1/lookup" },
    { name: "book", url: "http://127.0.0.1:1/book" },
  ]),
});
const recording: SessionRecording = {
  start: () => undefined,
  stop: () => Promise.resolve(),
};
const req = (callId: string): SessionRequest => ({
  callId,
  phoneNumberId: "100",
  to: "+1",
  sdp: "",
});
const envAgent = () => new EchoAgent();

function resolver(settings: AgentSettings | null, now = new Date("2026-12-07T12:00:00Z")) {
  return callSettingsResolver({
    config,
    source: {
      getAgentSettings: () =>
        Promise.resolve(
          settings === null
            ? null
            : { phoneNumberId: "100", settings, version: 3, updatedAt: now, updatedBy: "a" },
        ),
    },
    defaultAgent: envAgent,
    recording,
    maxCallMs: 600_000,
    now: () => now,
  });
}

Deno.test("call settings: no settings, the environment's agent, recording and length", async () => {
  const deps = await resolver(null)(req("c1"));
  assert.equal(deps.createAgent, envAgent);
  assert.equal(deps.recording, recording);
  assert.equal(deps.maxCallMs, 600_000);
});

Deno.test("call settings: settings shape the OpenAI session; length is clamped to MAX_CALL_MINUTES", async () => {
  const deps = await resolver({
    instructions: "You are Ana.",
    voice: "ash",
    language: "es",
    tools: ["book"],
    turnDetection: { type: "semantic_vad", eagerness: "low" },
    recording: false,
    maxCallSeconds: 3600,
  })(req("c2"));
  assert.equal(deps.recording, undefined, "recording off for this number");
  assert.equal(deps.maxCallMs, 600_000, "never past the environment's maximum");
  const agent = deps.createAgent("c2");
  assert.ok(agent instanceof OpenAIRealtimeAgent);
  const session = agent.sessionConfig();
  assert.match(session.instructions ?? "", /^You are Ana\.\n\nSpeak Spanish with the caller/);
  assert.equal(session.audio?.output?.voice, "ash");
  assert.deepEqual(session.audio?.input?.turn_detection, {
    type: "semantic_vad",
    eagerness: "low",
    create_response: true,
    interrupt_response: true,
  });
  assert.equal(
    session.audio?.input?.transcription?.language ??
      session.audio?.input?.transcription?.languages?.[0],
    "es",
  );
  assert.deepEqual(session.tools?.map((t) => t.type === "function" ? t.name : t.type), [
    "book",
    "end_call",
  ]);
  const shorter = await resolver({ maxCallSeconds: 60 })(req("c3"));
  assert.equal(shorter.maxCallMs, 60_000);
});

Deno.test("call settings: outside hours, the outside-hours agent with the number's message", async () => {
  const closed = await resolver({
    callHours: { timeZone: "UTC", weekly: { mon: [{ open: "09:00", close: "10:00" }] } },
  })(req("c4"));
  assert.ok(closed.createAgent("c4") instanceof OutsideHoursAgent);
  // 2026-12-07 is a Monday: 09:30 UTC is open.
  const open = await resolver(
    { callHours: { timeZone: "UTC", weekly: { mon: [{ open: "09:00", close: "10:00" }] } } },
    new Date("2026-12-07T09:30:00Z"),
  )(req("c5"));
  assert.ok(open.createAgent("c5") instanceof OpenAIRealtimeAgent);
});

Deno.test("withLanguage: the language by name; none leaves the instructions alone", () => {
  assert.equal(withLanguage("Hi.", undefined), "Hi.");
  assert.match(withLanguage("Hi.", "pt"), /Speak Portuguese/);
});

/** A context that records what the outside-hours agent does. */
function context() {
  const done: string[] = [];
  const ctx = {
    callId: "c",
    audio: {
      enqueue: (_pcm: Int16Array, tag: string) => done.push(`enqueue:${tag}`),
      flush: () => new Map(),
      playedMs: () => 0,
      queuedMs: () => 0,
    },
    onTranscript: () => {},
    onEvent: (name: string) => done.push(`event:${name}`),
    requestHangup: (reason: string) => done.push(`hangup:${reason}`),
    onFatal: () => {},
    onUsage: () => {},
    history: () => [],
  } satisfies AgentContext;
  return { ctx, done };
}

const spokenLocally: string[] = [];
/** Local speech that records what it was asked to say. */
const speak = (text: string) => {
  spokenLocally.push(text);
  return Promise.resolve(new Int16Array(480));
};
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("outside-hours agent: without a speaker, or with one that fails to start, the tone, the message spoken locally, then the hang-up", async () => {
  const { ctx, done } = context();
  const agent = new OutsideHoursAgent({ message: "Closed.", speak });
  await agent.start(ctx);
  agent.pushAudio(new Int16Array(480));
  agent.callAccepted();
  await tick();
  assert.deepEqual(done, [
    "event:outside_hours",
    "enqueue:outside-hours",
    "enqueue:outside-hours",
    `hangup:${OUTSIDE_HOURS_REASON}`,
  ]);
  assert.deepEqual(spokenLocally, ["Closed."]);

  const failing = { ...context() };
  const speaker = {
    start: () => Promise.reject(new Error("no key")),
    close: () => Promise.resolve(),
    speakAndHangUp: () => failing.done.push("spoken"),
  } as unknown as Agent & { speakAndHangUp(m: string, r: string): void };
  const withSpeaker = new OutsideHoursAgent({
    message: "Closed.",
    speaker,
    speak: () => Promise.resolve(undefined), // no espeak-ng: the tone alone
  });
  await withSpeaker.start(failing.ctx);
  withSpeaker.callAccepted();
  await tick();
  assert.deepEqual(failing.done, [
    "event:outside_hours",
    "enqueue:outside-hours",
    "hangup:outside_hours",
  ]);
});

const noEspeak = missingTool("espeak-ng");

Deno.test({
  name: `call settings: without an OpenAI key the echo agent speaks the number's greeting${
    noEspeak ? ` (ignored: ${noEspeak}; .ci/run installs it)` : ""
  }`,
  ignore: noEspeak !== undefined,
  async fn() {
    const keyless = callSettingsResolver({
      config: loadConfig({ VOICE_BRIDGE_SECRET: "0123456789abcdef0123", AGENT: "echo" }),
      source: {
        getAgentSettings: () =>
          Promise.resolve({
            phoneNumberId: "100",
            settings: { greeting: "Welcome to Acme" },
            version: 1,
            updatedAt: new Date(),
            updatedBy: "a",
          }),
      },
      defaultAgent: envAgent,
      recording,
      maxCallMs: 600_000,
    });
    const agent = (await keyless(req("c9"))).createAgent("c9");
    const { ctx, done } = context();
    const transcripts: string[] = [];
    await agent.start({ ...ctx, onTranscript: (t) => transcripts.push(t.text) });
    agent.callAccepted();
    await until(() => done.length >= 2, 5_000, "the spoken greeting");
    assert.deepEqual(done, ["enqueue:greeting", "event:agent_greeting"]);
    assert.deepEqual(transcripts, ["Welcome to Acme"]);
  },
});
