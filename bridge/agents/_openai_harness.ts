/**
 * Harnesses for the OpenAI agent's tests: the agent against the fake Realtime
 * service over a real socket, or against an in-memory socket on fake timers,
 * with a context that records everything the agent tells its session.
 *
 * @module
 */
import type { AgentContext, TranscriptEntry } from "./agent.ts";
import { OpenAIRealtimeAgent, type OpenAIRealtimeConfig } from "./openai.ts";
import { FakeAudioOut, FakeSocket, FakeTimers } from "./_test_utils.ts";
import { type FakeRealtimeOptions, FakeRealtimeServer } from "../../tests/fakes/openai_realtime.ts";
import { int16ToBase64 } from "../../lib/audio/pcm.ts";
import type { UsageIncrement } from "../../lib/realtime/usage.ts";
import { until } from "../../tests/support/until.ts";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** What the agent told its session. */
export interface Recorded {
  transcripts: TranscriptEntry[];
  events: { name: string; data?: Json }[];
  hangups: string[];
  fatals: Error[];
  usage: UsageIncrement[];
}

/** A context recording into a fresh {@linkcode Recorded}. */
export function recordingContext(audio: FakeAudioOut): { ctx: AgentContext; rec: Recorded } {
  const rec: Recorded = { transcripts: [], events: [], hangups: [], fatals: [], usage: [] };
  const ctx: AgentContext = {
    callId: "call-1",
    audio,
    onTranscript: (e) => rec.transcripts.push(e),
    onEvent: (name, data) => rec.events.push(data ? { name, data } : { name }),
    requestHangup: (r) => rec.hangups.push(r),
    onFatal: (e) => rec.fatals.push(e),
    onUsage: (u) => rec.usage.push(u),
    history: () => rec.transcripts,
  };
  return { ctx, rec };
}

/** The agent against the fake service. */
export interface Harness extends Recorded {
  fake: FakeRealtimeServer;
  agent: OpenAIRealtimeAgent;
  audio: FakeAudioOut;
  ctx: AgentContext;
  /** Client frames as the agent sent them, in order, across sockets. */
  frames: Json[];
  done(): Promise<void>;
}

/** Starts the fake service and an agent pointed at it (not yet started). */
export function harness(
  fakeOptions: FakeRealtimeOptions = {},
  config: Partial<OpenAIRealtimeConfig> = {},
  audio = new FakeAudioOut(),
): Harness {
  const fake = FakeRealtimeServer.start(fakeOptions);
  const frames: Json[] = [];
  const agent = new OpenAIRealtimeAgent({
    apiKey: fake.apiKey,
    url: fake.url,
    instructions: "You are a test agent.",
    reconnectWithinMs: 100,
    responseRetryMs: 20,
    webSocketFactory: (url, key) => {
      const init = { headers: { Authorization: "Bearer " + key } };
      const ws = new WebSocket(url, init as unknown as string[]);
      const send = ws.send.bind(ws);
      ws.send = (data) => {
        frames.push(JSON.parse(String(data)));
        send(data);
      };
      return ws;
    },
    ...config,
  });
  const { ctx, rec } = recordingContext(audio);
  return {
    fake,
    agent,
    audio,
    ctx,
    ...rec,
    frames,
    async done() {
      await agent.close("test over");
      await fake.close();
    },
  };
}

/** Agent events arrive within milliseconds; poll often. */
export function soon(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  return until(cond, timeoutMs, what, 5);
}

/** Waits like `soon`, playing queued agent audio as it goes: agent lines are stored once heard. */
export function untilHeard(h: Harness, cond: () => boolean, what: string): Promise<void> {
  return soon(() => {
    h.audio.tick(1);
    return cond();
  }, what);
}

/** Pushes `pcm` to the agent as 20 ms frames. */
export function pushPcm(agent: OpenAIRealtimeAgent, pcm: Int16Array): void {
  for (let i = 0; i + 480 <= pcm.length; i += 480) agent.pushAudio(pcm.subarray(i, i + 480));
}

/** `ms` of silence at 24 kHz. */
export const silence = (ms: number): Int16Array => new Int16Array(ms * 24);

/** A 3 s scripted line, long enough to barge in on. */
export const LONG = {
  kind: "audio",
  transcript: "one two three four five six seven eight nine ten",
  durationMs: 3000,
} as const;

/**
 * An agent on a fake socket and fake timers, past its handshake; `context`
 * adds to (or replaces) the recording context's callbacks.
 */
export async function fakeCall(
  config: Partial<OpenAIRealtimeConfig> = {},
  context: Partial<AgentContext> = {},
) {
  const timers = new FakeTimers();
  const audio = new FakeAudioOut();
  const sockets: FakeSocket[] = [];
  const agent = new OpenAIRealtimeAgent({
    apiKey: "k",
    instructions: "x",
    clock: timers.now,
    timers,
    webSocketFactory: () => {
      sockets.push(new FakeSocket());
      return sockets.at(-1)!;
    },
    ...config,
  });
  const { ctx, rec } = recordingContext(audio);
  const started = agent.start({ ...ctx, ...context });
  sockets[0]!.accept();
  await started;
  return { agent, socket: sockets[0]!, sockets, timers, audio, ...rec };
}

/** The part of `resp_1`'s item `item_1` that carries its audio. */
export const part = { response_id: "resp_1", item_id: "item_1", output_index: 0, content_index: 0 };

/** The server streams one spoken line (100 ms) and finishes it, with every done event. */
export function speakLine(socket: FakeSocket, text: string): void {
  const done = { id: "resp_1", status: "completed", metadata: { purpose: "greeting" } };
  socket.receive({ type: "response.created", response: { ...done, status: "in_progress" } });
  socket.receive({ type: "response.output_audio_transcript.delta", ...part, delta: text });
  socket.receive({
    type: "response.output_audio.delta",
    ...part,
    delta: int16ToBase64(new Int16Array(2400)),
  });
  socket.receive({ type: "response.output_audio.done", ...part });
  socket.receive({ type: "response.output_audio_transcript.done", ...part, transcript: text });
  const item = {
    id: "item_1",
    type: "message",
    role: "assistant",
    content: [{ type: "output_audio", transcript: text }],
  };
  socket.receive({
    type: "response.output_item.done",
    response_id: "resp_1",
    output_index: 0,
    item,
  });
  socket.receive({ type: "response.done", response: { ...done, output: [item] } });
}
