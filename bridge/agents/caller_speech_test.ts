import assert from "node:assert/strict";
import { CallerSpeech } from "./caller_speech.ts";

Deno.test("caller speech: a turn is dated from VAD start to stop, stored when transcribed", () => {
  let now = 1000;
  const speech = new CallerSpeech(() => now);
  speech.started("item_1");
  now = 2500;
  speech.stopped("item_1");
  now = 3000;
  assert.deepEqual(speech.transcribed("item_1", " I need help "), {
    speaker: "caller",
    text: "I need help",
    startedAt: 1000,
    endedAt: 2500,
  });
  assert.deepEqual(speech.transcribed("item_1", "again"), {
    speaker: "caller",
    text: "again",
    startedAt: 3000,
    endedAt: 3000,
  }, "a turn is used once; one never seen is dated now");
});

Deno.test("caller speech: an empty transcript stores nothing; clear forgets open turns", () => {
  let now = 0;
  const speech = new CallerSpeech(() => now);
  speech.started("item_1");
  assert.equal(speech.transcribed("item_1", "  "), null);
  speech.started("item_2");
  speech.clear();
  now = 50;
  assert.equal(speech.transcribed("item_2", "hi")?.startedAt, 50);
});
