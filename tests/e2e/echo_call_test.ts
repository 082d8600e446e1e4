/**
 * The keyless default: the stack as a real process with the echo agent
 * chimes on answer and plays the caller's words back.
 */
import assert from "node:assert/strict";
import { sine } from "../../lib/audio/tone.ts";
import { CHIME_TONES_HZ } from "../../bridge/agents/echo.ts";
import { startStack } from "./stack.ts";
import { classifyFrames } from "./tones.ts";

const CALLER_HZ = 440;

Deno.test("e2e: the echo agent chimes, then echoes the caller's speech", async () => {
  const stack = await startStack();
  try {
    const speech = sine(CALLER_HZ, 24000, 24000, 8000);
    // The chime lasts 300 ms: speak after it so nothing barges in.
    const result = await stack.call({ speech, speakAfterMs: 500, listenMs: 2500 });
    assert.equal(result.outcome, "completed");

    const frames = classifyFrames(
      result.caller.heard,
      result.caller.heardAt,
      [...CHIME_TONES_HZ, CALLER_HZ],
    );
    const sounding = frames.filter((f) => f.hz !== null);
    const [low, high] = CHIME_TONES_HZ;
    const lowFrames = sounding.filter((f) => f.hz === low);
    const highFrames = sounding.filter((f) => f.hz === high);
    const echo = sounding.filter((f) => f.hz === CALLER_HZ);
    // 150 ms per chime tone is 7.5 frames; the raised-cosine edges may blur one each side.
    assert.ok(
      lowFrames.length >= 5 && highFrames.length >= 5,
      `chime ${lowFrames.length}+${highFrames.length}`,
    );
    assert.ok(lowFrames.at(-1)!.at <= highFrames[0]!.at, "E5 then A5");
    // One second spoken, one second (less VAD onset) played back, after the chime.
    assert.ok(echo.length >= 40, `echo ${echo.length * 20} ms`);
    assert.ok(echo[0]!.at > highFrames.at(-1)!.at, "the echo follows the chime");

    const records = await stack.records(
      result.callId,
      (r) =>
        r.call?.status === "completed" && r.transcripts.length >= 2 &&
        r.events.some((e) => e.name === "bridge_session_ended"),
    );
    assert.equal(records.call?.status, "completed");
    assert.ok(records.events.some((e) => e.name === "agent_greeting"));
    // The energy VAD's onset and the network decide the exact length: 1 s give or take a frame or few.
    const [caller, agent] = records.transcripts;
    assert.equal(caller?.speaker, "caller");
    assert.equal(agent?.speaker, "agent");
    const seconds = Number(caller!.text.match(/^\[(\d+\.\d) s of speech\]$/)?.[1]);
    assert.ok(seconds >= 0.8 && seconds <= 1.2, caller!.text);
    assert.equal(agent!.text, `[echo of ${seconds.toFixed(1)} s]`);
  } finally {
    await stack.close();
  }
});
