import assert from "node:assert/strict";
import { LIVE_FINISHED_LINES, LiveTranscript } from "./live_transcript.ts";
import { LIVE_LINE_MAX_CHARS } from "../../store/live.ts";

const at = { startedAt: 0, endedAt: 1 };

Deno.test("live transcript: words in progress show as partial lines until the line is finished", () => {
  const t = new LiveTranscript();
  t.delta("agent", "item_1", "Hello, ");
  t.delta("agent", "item_1", "thanks for");
  t.delta("caller", "item_2", "I would");
  assert.deepEqual(t.lines(), [
    { speaker: "agent", text: "Hello, thanks for", partial: true },
    { speaker: "caller", text: "I would", partial: true },
  ]);
  t.line({ speaker: "agent", text: "Hello, thanks for calling.", ...at });
  assert.deepEqual(t.lines(), [
    { speaker: "agent", text: "Hello, thanks for calling.", partial: false },
    { speaker: "caller", text: "I would", partial: true },
  ]);
});

Deno.test("live transcript: bounded in lines and characters", () => {
  const t = new LiveTranscript();
  for (let i = 0; i < 20; i++) t.line({ speaker: "caller", text: `line ${i}`, ...at });
  for (let i = 0; i < 10; i++) t.delta("agent", `item_${i}`, "x");
  t.delta("agent", "item_9", "y".repeat(5000));
  const lines = t.lines();
  const finished = lines.filter((l) => !l.partial);
  assert.equal(finished.length, LIVE_FINISHED_LINES);
  assert.equal(finished.at(-1)!.text, "line 19");
  assert.ok(lines.filter((l) => l.partial).length <= 4);
  assert.ok(lines.every((l) => [...l.text].length <= LIVE_LINE_MAX_CHARS));
  // What is being said now is the end of the utterance.
  assert.ok(lines.at(-1)!.text.endsWith("yyy") && lines.at(-1)!.text.startsWith("…"));
  t.line({ speaker: "agent", text: "z".repeat(1000), ...at });
  assert.ok(t.lines().every((l) => [...l.text].length <= LIVE_LINE_MAX_CHARS));
});
