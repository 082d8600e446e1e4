import assert from "node:assert/strict";
import { SrtpReceiveState } from "./srtp_receive_state.ts";
import { REPLAY_WINDOW_SIZE } from "./replay_window.ts";
import { mulberry32 } from "../../simulator/prng.ts";

/** Admits and (as if it authenticated) accepts packet `seq` of `ssrc`; returns its ROC. */
function receive(state: SrtpReceiveState, ssrc: number, seq: number): number {
  const roc = state.admit(ssrc, seq);
  if (roc >= 0) state.accept(ssrc, seq, roc);
  return roc;
}

Deno.test("packets that never authenticate leave no state, whatever their SSRC", () => {
  const state = new SrtpReceiveState();
  const rand = mulberry32(5);
  for (let i = 0; i < 10_000; i++) {
    const ssrc = (rand() * 2 ** 32) >>> 0;
    assert.equal(state.admit(ssrc, (rand() * 65536) | 0), 0, "an unknown SSRC is tried at ROC 0");
    assert.equal(state.admitAt(ssrc, 7, 3), true);
  }
  assert.equal(state.ssrcCount, 0);
  assert.equal(state.replays, 0);
});

Deno.test("the first packet to authenticate creates its SSRC's state; a replay of it is refused", () => {
  const state = new SrtpReceiveState();
  assert.equal(receive(state, 0xabc, 100), 0);
  assert.equal(state.ssrcCount, 1);
  assert.equal(state.admit(0xabc, 100), -1);
  assert.equal(state.admitAt(0xabc, 100, 0), false);
  assert.equal(state.replays, 2);
  assert.equal(state.admit(0xabc, 101), 0, "the next packet is fresh");
  assert.equal(state.admit(0xdef, 100), 0, "another SSRC has its own window");
});

Deno.test("the ROC follows a wrap, and a late packet from before it is accepted once", () => {
  const state = new SrtpReceiveState();
  for (const seq of [65534, 0, 1]) receive(state, 1, seq);
  assert.equal(state.admit(1, 2), 1);
  assert.equal(receive(state, 1, 65535), 0, "sent before the wrap");
  assert.equal(state.admit(1, 65535), -1, "and replayed");
  assert.equal(state.admit(1, 0), -1);
  assert.equal(state.replays, 2);
});

Deno.test("a packet that fails authentication moves neither the ROC nor the window", () => {
  const state = new SrtpReceiveState();
  receive(state, 9, 60000);
  // Far ahead, across the wrap: estimated at ROC 1, but never accepted.
  assert.equal(state.admit(9, 100), 1);
  assert.equal(state.admit(9, 60001), 0, "the ROC did not move");
  assert.equal(state.admit(9, 60000 - REPLAY_WINDOW_SIZE + 1), 0, "nor did the window");
});

Deno.test("too old for the window counts as a replay", () => {
  const state = new SrtpReceiveState();
  receive(state, 4, 1000);
  assert.equal(state.admit(4, 1000 - REPLAY_WINDOW_SIZE), -1);
  assert.equal(state.admitAt(4, 1000 - REPLAY_WINDOW_SIZE, 0), false);
  assert.equal(state.replays, 2);
});

Deno.test("accept at a ROC found elsewhere (werift's path) serves admit's estimate too", () => {
  const state = new SrtpReceiveState();
  state.accept(3, 5, 2);
  assert.equal(state.admit(3, 6), 2);
  assert.equal(state.admit(3, 5), -1);
  assert.equal(state.admitAt(3, 5, 3), true, "same SEQ, the next ROC: a different packet");
});
