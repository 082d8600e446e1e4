import assert from "node:assert/strict";
import { messagePayload, takeSnapshot } from "./live_snapshot.ts";
import { FakeLiveSession } from "./_test_utils.ts";
import { meanSquare } from "./audio_level.ts";
import { sine } from "../../lib/audio/tone.ts";
import {
  LIVE_LINE_MAX_CHARS,
  liveMessageSchema,
  NOTIFY_MAX_BYTES,
  utf8Bytes,
} from "../../store/live.ts";

const source = { bridgeId: "bridge-a", agent: "openai" };

Deno.test("live snapshot: state, times, agent, levels and lines of the call, no phone number", () => {
  const s = new FakeLiveSession("wacid.one", 1_000);
  s.timings.accepted = 250;
  s.media.levels.caller.add(meanSquare(sine(440, 24000, 480, 16384)));
  s.live.line({ speaker: "agent", text: "Hello.", startedAt: 0, endedAt: 1 });
  s.live.delta("caller", "item_c", "I would like");
  const snap = takeSnapshot(s, source, 5_000);
  assert.deepEqual(snap, {
    kind: "snapshot",
    callId: "wacid.one",
    bridgeId: "bridge-a",
    state: "active",
    startedAt: 1_000,
    acceptedAt: 1_250,
    agent: "openai",
    levels: { caller: -9, agent: null },
    lines: [
      { speaker: "agent", text: "Hello.", partial: false },
      { speaker: "caller", text: "I would like", partial: true },
    ],
    at: 5_000,
  });
  assert.deepEqual(liveMessageSchema.parse(JSON.parse(messagePayload(snap)!)), snap);
  // The windows restarted: the next snapshot has no level until frames come.
  assert.equal(takeSnapshot(s, source, 5_500).levels.caller, null);
});

Deno.test("live snapshot: the payload fits a NOTIFY whatever the lines hold, newest kept", () => {
  const s = new FakeLiveSession("wacid.big");
  // Characters JSON escapes to six bytes each, and four-byte ones: the worst cases.
  for (let i = 0; i < 6; i++) {
    s.live.line({
      speaker: "caller",
      text: `${i}` + "\u0001".repeat(400),
      startedAt: 0,
      endedAt: 1,
    });
  }
  s.live.delta("agent", "item_a", "😀".repeat(1000));
  s.live.delta("caller", "item_b", '"'.repeat(1000));
  const snap = takeSnapshot(s, source, 1);
  const whole = JSON.stringify(snap);
  assert.ok(utf8Bytes(whole) > NOTIFY_MAX_BYTES, `the test must overflow: ${utf8Bytes(whole)}`);
  const payload = messagePayload(snap)!;
  assert.ok(utf8Bytes(payload) <= NOTIFY_MAX_BYTES, `${utf8Bytes(payload)} bytes`);
  const parsed = liveMessageSchema.parse(JSON.parse(payload));
  assert.ok(parsed.kind === "snapshot");
  assert.ok(parsed.lines.length >= 2 && parsed.lines.length < snap.lines.length);
  // The oldest lines went; the ones being spoken stayed.
  assert.deepEqual(parsed.lines.slice(-2), snap.lines.slice(-2));
  assert.ok(parsed.lines.every((l) => [...l.text].length <= LIVE_LINE_MAX_CHARS));
});

Deno.test("live snapshot: an ended message is small and valid", () => {
  const payload = messagePayload({
    kind: "ended",
    callId: "wacid.x",
    bridgeId: "b",
    reason: "operator_ended",
    at: 2,
  });
  assert.equal(liveMessageSchema.parse(JSON.parse(payload!)).kind, "ended");
});
