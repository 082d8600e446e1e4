/**
 * The agents report the caller's end of speech on the caller-audio timeline
 * the session times (20 ms a pushed frame), whatever OpenAI's own input
 * timeline does across a reconnect.
 */
import assert from "node:assert/strict";
import { fakeCall, recordingContext } from "../agents/_openai_harness.ts";
import { FakeAudioOut, settle } from "../agents/_test_utils.ts";
import { EchoAgent } from "../agents/echo.ts";

const frame = (level: number) => new Int16Array(480).fill(level);

Deno.test("openai agent: audio_end_ms maps onto the frames pushed, also after a reconnect", async () => {
  const ends: number[] = [];
  const started: number[] = [];
  const { agent, sockets } = await fakeCall({}, {
    onCallerSpeechStarted: () => started.push(ends.length),
    onCallerSpeechEnded: (ms) => ends.push(ms),
  });
  try {
    for (let i = 0; i < 50; i++) agent.pushAudio(frame(0));
    sockets[0]!.receive({
      type: "input_audio_buffer.speech_started",
      audio_start_ms: 200,
      item_id: "i1",
    });
    sockets[0]!.receive({
      type: "input_audio_buffer.speech_stopped",
      audio_end_ms: 640,
      item_id: "i1",
    });
    assert.deepEqual([started, ends], [[0], [640]]);
    // The socket drops: 30 frames go nowhere; the new session's buffer starts at frame 80.
    sockets[0]!.drop(1006, "network");
    for (let i = 0; i < 30; i++) agent.pushAudio(frame(0));
    assert.equal(sockets.length, 2, "reconnecting at once");
    sockets[1]!.accept();
    await settle();
    for (let i = 0; i < 40; i++) agent.pushAudio(frame(0));
    sockets.at(-1)!.receive({
      type: "input_audio_buffer.speech_stopped",
      audio_end_ms: 500,
      item_id: "i2",
    });
    assert.deepEqual(ends, [640, 80 * 20 + 500]);
  } finally {
    await agent.close("test over");
  }
});

Deno.test("echo agent: the end of speech is its last voiced frame, not the silence after it", () => {
  const ends: number[] = [];
  const starts: number[] = [];
  const agent = new EchoAgent();
  const { ctx } = recordingContext(new FakeAudioOut());
  void agent.start({
    ...ctx,
    onCallerSpeechStarted: () => starts.push(1),
    onCallerSpeechEnded: (ms) => ends.push(ms),
  });
  for (let i = 0; i < 10; i++) agent.pushAudio(frame(0));
  for (let i = 0; i < 30; i++) agent.pushAudio(frame(3000)); // frames 10–39
  for (let i = 0; i < 30; i++) agent.pushAudio(frame(0));
  assert.deepEqual([starts.length, ends], [1, [40 * 20]]);
});
