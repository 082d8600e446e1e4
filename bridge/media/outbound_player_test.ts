import assert from "node:assert/strict";
import { OutboundPlayer } from "./outbound_player.ts";

const ramp = (n: number, start = 1) => Int16Array.from({ length: n }, (_, i) => start + i);

Deno.test("OutboundPlayer frames queued audio 480 samples at a time and pads with silence", () => {
  const p = new OutboundPlayer();
  p.enqueue(ramp(700), "a");
  const f1 = Array.from(p.nextFrame());
  assert.deepEqual(f1, Array.from(ramp(480)));
  const f2 = p.nextFrame();
  assert.equal(f2[0], 481);
  assert.equal(f2[219], 700);
  assert.ok(f2.subarray(220).every((s) => s === 0));
  assert.ok(p.nextFrame().every((s) => s === 0), "silence when the agent is quiet");
  assert.equal(p.voicedFrames, 2);
  assert.equal(p.silentFrames, 1);
});

Deno.test("OutboundPlayer counts played ms per tag across chunk boundaries", () => {
  const p = new OutboundPlayer();
  p.enqueue(ramp(240), "a"); // 10 ms
  p.enqueue(ramp(960), "b"); // 40 ms
  p.nextFrame();
  assert.equal(p.playedMs("a"), 10);
  assert.equal(p.playedMs("b"), 10);
  assert.equal(p.queuedMs(), 30);
  const flushed = p.flush();
  assert.deepEqual([...flushed], [["b", 10]]);
  assert.equal(p.queuedMs(), 0);
  assert.ok(p.nextFrame().every((s) => s === 0), "flushed audio is never played");
  assert.equal(p.playedMs("b"), 10);
  assert.equal(p.playedMs("unknown"), 0);
});

Deno.test("OutboundPlayer.idle resolves when the queue drains or is flushed", async () => {
  const p = new OutboundPlayer();
  await p.idle();
  p.enqueue(ramp(600), "a");
  let done = false;
  const idle = p.idle().then(() => (done = true));
  p.nextFrame();
  await Promise.resolve();
  assert.equal(done, false);
  p.nextFrame();
  await idle;
  p.enqueue(ramp(600), "b");
  const flushedIdle = p.idle();
  p.flush();
  await flushedIdle;
});

Deno.test("OutboundPlayer: a barge-in drops the agent's audio but not the recording announcement", () => {
  const player = new OutboundPlayer();
  player.enqueue(new Int16Array(480 * 3).fill(7), "announcement", { uninterruptible: true });
  player.enqueue(new Int16Array(480 * 2).fill(9), "item_1");
  player.nextFrame();
  const dropped = player.flush();
  assert.deepEqual([...dropped.keys()], ["item_1"]);
  assert.equal(player.queuedMs(), 40);
  assert.equal(player.nextFrame()[0], 7);
  assert.equal(player.nextFrame()[479], 7);
  assert.equal(player.nextFrame()[0], 0);
  assert.equal(player.playedMs("announcement"), 60);
  assert.equal(player.playedMs("item_1"), 0);
});
