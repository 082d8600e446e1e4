import assert from "node:assert/strict";
import type { TranscriptEntry } from "./agent.ts";
import { audioEndMs, cutEvent, ItemTracker, truncateText } from "./item_tracker.ts";
import { FakeAudioOut, FakeTimers } from "./_test_utils.ts";

/** `samples` of 24 kHz audio (24 per ms). */
const pcm = (samples: number) => new Int16Array(samples);
const ms = (n: number) => pcm(n * 24);

function setup() {
  const timers = new FakeTimers();
  const audio = new FakeAudioOut();
  const lines: TranscriptEntry[] = [];
  const items = new ItemTracker({
    audio,
    clock: timers.now,
    timers,
    onTranscript: (e) => lines.push(e),
  });
  return { timers, audio, lines, items };
}

/** One whole agent line: its audio, then both done events. */
function line(items: ItemTracker, itemId: string, text: string, samples: number): void {
  items.transcriptDelta(itemId, "resp_1", text);
  items.audio(itemId, "resp_1", pcm(samples));
  items.audioDone(itemId);
  items.transcriptDone(itemId, "resp_1", text);
}

Deno.test("truncateText keeps the heard share of whole words", () => {
  assert.equal(truncateText("one two three four", 0.5), "one two");
  assert.equal(truncateText("one two three four", 0.3), "one"); // mid-word cut drops the word
  assert.equal(truncateText("one two", 1), "one two");
  assert.equal(truncateText("one two", 0), "");
});

Deno.test("audioEndMs rounds down and never passes what was received", () => {
  assert.equal(audioEndMs(1234.9, 2000), 1234); // never 1235
  assert.equal(audioEndMs(1500, 1234.875), 1234); // received < played takes received
  assert.equal(audioEndMs(0.9, 100), 0);
});

Deno.test("barge-in truncates at floor(played) when the caller heard less than arrived", () => {
  const { items } = setup();
  line(items, "item_1", "one two three four", 48_000); // 2000 ms, all of it received
  const cuts = items.bargeIn(new Map([["item_1", 1234.9]]));
  assert.deepEqual(cuts, [{
    itemId: "item_1",
    action: "truncate",
    playedMs: 1234,
    receivedMs: 2000,
  }]);
  assert.deepEqual(cutEvent(cuts[0]!), {
    type: "conversation.item.truncate",
    item_id: "item_1",
    content_index: 0,
    audio_end_ms: 1234,
  });
});

Deno.test("barge-in truncates at floor(received) when the player claims more than arrived", () => {
  const { items } = setup();
  items.audio("item_1", "resp_1", pcm(29_637)); // 1234.875 ms, still streaming
  const [cut] = items.bargeIn(new Map([["item_1", 1500]]));
  assert.equal(cut?.action, "truncate");
  assert.equal(cut?.playedMs, 1234);
  assert.equal(cut?.receivedMs, 1234.875);
});

Deno.test("barge-in deletes an item of which less than a whole ms was heard", () => {
  const { items, lines } = setup();
  items.transcriptDelta("item_1", "resp_1", "Hello there");
  items.audio("item_1", "resp_1", ms(500));
  const cuts = items.bargeIn(new Map([["item_1", 0.9]]));
  assert.deepEqual(cuts.map(cutEvent), [{ type: "conversation.item.delete", item_id: "item_1" }]);
  assert.deepEqual(lines, [], "nothing heard, nothing stored");
});

Deno.test("barge-in leaves alone an item heard in full (not in the flush)", () => {
  const { items, audio } = setup();
  line(items, "item_1", "Hi.", 4800);
  audio.tick(10);
  assert.deepEqual(items.bargeIn(audio.flush()), []);
});

Deno.test("a cut response's later audio and text are dropped", () => {
  const { items, audio, lines } = setup();
  items.audio("item_1", "resp_1", ms(100));
  items.bargeIn(new Map([["item_1", 40]]));
  assert.equal(items.isDiscarded("resp_1"), true);
  items.audio("item_1", "resp_1", ms(100));
  items.transcriptDelta("item_2", "resp_1", "late");
  items.transcriptDone("item_1", "resp_1", "late");
  assert.equal(audio.enqueued.get("item_1"), 100);
  assert.equal(lines.length, 0);
});

Deno.test("a line is stored once the caller heard all of it, whole, dated by its audio", async () => {
  const { items, audio, lines, timers } = setup();
  const startedAt = timers.now();
  line(items, "item_1", "Hello there.", 2400); // 100 ms
  assert.deepEqual(lines, [], "not before it is heard");
  audio.tick(5);
  await timers.advance(100);
  assert.deepEqual(lines, [{
    speaker: "agent",
    text: "Hello there.",
    startedAt,
    endedAt: startedAt + 100,
  }]);
  assert.equal(timers.pending, 0);
});

Deno.test("a line is stored exactly once, whatever arrives after it", async () => {
  const { items, audio, lines, timers } = setup();
  line(items, "item_1", "Hello there.", 2400);
  items.transcriptDone("item_1", "resp_1", "Hello there."); // the text again
  audio.tick(5);
  await timers.advance(200);
  items.transcriptDone("item_1", "resp_1", "Hello there.");
  items.audioDone("item_1");
  items.bargeIn(new Map([["item_1", 50]])); // a flush that (wrongly) still lists it
  items.close();
  assert.deepEqual(lines.map((l) => l.text), ["Hello there."]);
});

Deno.test("an interrupted line is stored once, cut to the words heard, and never again", async () => {
  const { items, lines, timers } = setup();
  line(items, "item_1", "one two three four", 19_200); // 800 ms
  items.bargeIn(new Map([["item_1", 400]]));
  assert.equal(timers.pending, 0, "nothing keeps polling for a line already stored");
  items.transcriptDone("item_1", "resp_1", "one two three four");
  await timers.advance(2000);
  items.close();
  assert.deepEqual(lines.map((l) => [l.text, l.interrupted]), [["one two", true]]);
});

Deno.test("close stores the heard share of a line still playing, then stops its timers", async () => {
  const { items, audio, lines, timers } = setup();
  line(items, "item_1", "one two three four", 24_000); // 1000 ms
  audio.tick(25); // 500 ms heard
  assert.ok(timers.pending > 0);
  items.close();
  assert.equal(timers.pending, 0);
  audio.tick(25);
  await timers.advance(1000);
  items.close();
  assert.deepEqual(lines.map((l) => [l.text, l.interrupted]), [["one two", true]]);
});

Deno.test("after a drop, a line already waiting to be heard is still stored once heard", async () => {
  const { items, audio, lines, timers } = setup();
  line(items, "item_1", "Hello.", 2400);
  items.reset();
  items.transcriptDone("item_1", "resp_1", "ignored: the item belongs to the old session");
  audio.tick(5);
  await timers.advance(100);
  assert.deepEqual(lines.map((l) => l.text), ["Hello."]);
});

Deno.test("an item opened while earlier audio is queued is dated after it", async () => {
  const { items, audio, timers, lines } = setup();
  await timers.advance(1000);
  items.audio("item_1", "resp_1", ms(300));
  line(items, "item_2", "Next.", 2400);
  audio.tick(20);
  await timers.advance(100);
  assert.deepEqual(lines.map((l) => [l.text, l.startedAt, l.endedAt]), [["Next.", 1300, 1400]]);
});

Deno.test("close stops the poll of a line from a dropped session", async () => {
  const { items, audio, lines, timers } = setup();
  line(items, "item_1", "Hello.", 2400);
  items.reset();
  items.close();
  assert.equal(timers.pending, 0);
  audio.tick(5);
  await timers.advance(100);
  assert.deepEqual(lines, [], "the call is over: nothing is stored after close");
});

Deno.test("a line cut before its words arrived is stored once they do, as the share heard", async () => {
  const { items, lines, timers } = setup();
  items.audio("item_1", "resp_1", ms(1000)); // audio runs ahead of its transcript
  const [cut] = items.bargeIn(new Map([["item_1", 500]]));
  assert.equal(cut?.action, "truncate");
  assert.equal(lines.length, 0, "nothing to store yet");
  // The cancelled response still reports its words.
  items.transcriptDelta("item_1", "resp_1", "Hello there,");
  items.transcriptDone("item_1", "resp_1", "Hello there, how are you");
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.text, "Hello there,");
  assert.equal(lines[0]!.interrupted, true);
  assert.equal(lines[0]!.endedAt - lines[0]!.startedAt, 500);
  items.transcriptDone("item_1", "resp_1", "Hello there, how are you");
  await timers.advance(10_000);
  assert.equal(lines.length, 1, "stored once");
});

Deno.test("a cut line whose words never come is stored with what came, bounded in time and at close", async () => {
  const { items, lines, timers } = setup();
  items.audio("item_1", "resp_1", ms(1000));
  items.bargeIn(new Map([["item_1", 1000]]));
  items.transcriptDelta("item_1", "resp_1", "Good morning");
  await timers.advance(2_999);
  assert.equal(lines.length, 0);
  await timers.advance(1);
  assert.deepEqual(lines.map((l) => l.text), ["Good morning"]);

  const other = setup();
  other.items.audio("item_2", "resp_2", ms(800));
  other.items.bargeIn(new Map([["item_2", 400]]));
  other.items.transcriptDelta("item_2", "resp_2", "One two");
  other.items.close();
  assert.deepEqual(other.lines.map((l) => l.text), ["One"]);
  assert.equal(other.timers.pending, 0, "the wait leaves no timer behind");
});
