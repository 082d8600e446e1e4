import assert from "node:assert/strict";
import { CallMedia, type MediaPort } from "./call_media.ts";
import { ManualScheduler } from "./fake_scheduler.ts";
import { OutboundPlayer } from "./outbound_player.ts";
import { OpusEncoder } from "../../lib/audio/opus.ts";

Deno.test("a port that reads on ticks is polled every tick, before the frame leaves the jitter buffer", () => {
  const scheduler = new ManualScheduler();
  const encoder = new OpusEncoder();
  const voice = encoder.encode(new Int16Array(480).fill(3000));
  const events: string[] = [];
  let deliver: Parameters<MediaPort["onRtp"]>[0] = () => {};
  let seq = 100;
  const port: MediaPort = {
    sendOpus: () => events.push("send"),
    onRtp: (listener) => deliver = listener,
    receiveOnTicks: (on) => events.push(`receiveOnTicks ${on}`),
    // Each poll finds the packet that arrived since the last tick.
    pollRtp: () => {
      events.push("poll");
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
  const media = new CallMedia({
    port,
    sink: { pushAudio: () => events.push("agent"), pushDtmf: () => {} },
    player: new OutboundPlayer(),
    opusPayloadType: 111,
    telephoneEventPayloadType: 126,
    scheduler,
  });
  media.start();
  for (let i = 0; i < 10; i++) scheduler.advance(20);
  media.stop();
  assert.equal(events[0], "receiveOnTicks true");
  assert.equal(events.at(-1), "receiveOnTicks false");
  const ticks = events.slice(1, -1);
  assert.equal(ticks.filter((e) => e === "poll").length, 11, "the start and each of 10 ticks");
  // Every poll comes before that tick's frame is taken for the agent.
  ticks.forEach((e, i) => {
    if (e === "agent") assert.equal(ticks[i - 1], "poll");
  });
  assert.ok(media.stats().framesToAgent > 0);
  assert.equal(media.stats().packetsReceived, 11);
});
