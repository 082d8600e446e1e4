import assert from "node:assert/strict";
import { dbfs, LEVEL_FLOOR_DBFS, LevelWindow, meanSquare } from "./audio_level.ts";
import { sine } from "../../lib/audio/tone.ts";
import { CallMedia, type MediaPort } from "../media/call_media.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { OutboundPlayer } from "../media/outbound_player.ts";
import { OpusEncoder } from "../../lib/audio/opus.ts";

Deno.test("level: a full-scale sine is -3 dBFS, a quarter of it -15, silence the floor", () => {
  assert.equal(dbfs(meanSquare(sine(1000, 24000, 480, 32767))), -3);
  assert.equal(dbfs(meanSquare(sine(1000, 24000, 480, 8192))), -15);
  assert.equal(dbfs(meanSquare(new Int16Array(480))), LEVEL_FLOOR_DBFS);
  assert.equal(dbfs(1), LEVEL_FLOOR_DBFS);
});

Deno.test("level: a window averages its frames and restarts at each take", () => {
  const w = new LevelWindow();
  assert.equal(w.take(), null, "no frames, no level");
  const loud = meanSquare(sine(1000, 24000, 480, 16384));
  w.add(loud);
  w.add(0);
  // Half the frames silent: half the power, 3 dB down from -9.
  assert.equal(w.take(), -12);
  assert.equal(w.take(), null);
});

Deno.test("level: the media path measures the caller's and the agent's frames", () => {
  const scheduler = new ManualScheduler();
  const encoder = new OpusEncoder();
  const voice = encoder.encode(sine(440, 24000, 480, 12000));
  let deliver: Parameters<MediaPort["onRtp"]>[0] = () => {};
  let seq = 0;
  const port: MediaPort = {
    sendOpus: () => {},
    onRtp: (listener) => deliver = listener,
    pollRtp: () => {
      deliver({
        payloadType: 111,
        sequenceNumber: seq,
        timestamp: seq * 960,
        marker: false,
        payload: voice,
      });
      seq++;
    },
  };
  const player = new OutboundPlayer();
  const media = new CallMedia({
    port,
    sink: { pushAudio: () => {}, pushDtmf: () => {} },
    player,
    opusPayloadType: 111,
    telephoneEventPayloadType: 126,
    scheduler,
  });
  media.start();
  for (let i = 0; i < 10; i++) scheduler.advance(20);
  const quietAgent = media.levels.agent.take();
  player.enqueue(sine(700, 24000, 24000, 16384), "greeting");
  for (let i = 0; i < 25; i++) scheduler.advance(20);
  const caller = media.levels.caller.take();
  const agent = media.levels.agent.take();
  media.stop();
  assert.equal(quietAgent, LEVEL_FLOOR_DBFS, "the agent was silent");
  assert.ok(agent !== null && agent >= -10 && agent <= -8, `agent ${agent} dBFS`);
  // 12000 peak is about -11.7 dBFS; the jitter buffer's first frames may be concealed.
  assert.ok(caller !== null && caller >= -16 && caller <= -10, `caller ${caller} dBFS`);
});
