import assert from "node:assert/strict";
import { Event } from "werift";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { LibcUdpTransport } from "./libc_udp_transport.ts";
import { leanExecute } from "./werift_event_fix.ts";
import type { EventInternals } from "./werift_internals.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

/** A werift event with the fix applied, typed as werift's. */
function leanEvent<T extends unknown[]>(): Event<T> {
  const e = new Event<T>();
  leanExecute(e as unknown as EventInternals);
  return e;
}

Deno.test("werift event fix: subscribers run in order with every argument, and once only", () => {
  const e = leanEvent<[number, string]>();
  const calls: string[] = [];
  e.subscribe((n, s) => calls.push(`a${n}${s}`));
  const b = e.subscribe((n, s) => calls.push(`b${n}${s}`));
  e.once((n) => calls.push(`once${n}`));
  e.execute(1, "x");
  b.unSubscribe();
  e.execute(2, "y");
  assert.deepEqual(calls, ["a1x", "b1x", "once1", "a2y"]);
});

/** Calls of `Promise.prototype.catch` while `fn` runs: werift's execute makes one per call. */
function catchesDuring(fn: () => void): number {
  const original = Promise.prototype.catch;
  let count = 0;
  Promise.prototype.catch = function (this: Promise<unknown>, onRejected) {
    count++;
    return original.call(this, onRejected);
  };
  try {
    fn();
  } finally {
    Promise.prototype.catch = original;
  }
  return count;
}

Deno.test("werift event fix: no async function is started when nothing is queued", () => {
  const plain = new Event<[number]>();
  const fixed = leanEvent<[number]>();
  let seen = 0;
  plain.subscribe((n) => (seen += n));
  fixed.subscribe((n) => (seen += n));
  assert.equal(catchesDuring(() => plain.execute(1)), 1, "werift's own execute, for contrast");
  assert.equal(catchesDuring(() => fixed.execute(2)), 0);
  assert.equal(seen, 3);
});

Deno.test("werift event fix: queued subscribers still go through werift's execute", async () => {
  const e = leanEvent<[number]>();
  const order: string[] = [];
  e.subscribe((n) => order.push(`sync${n}`));
  e.queuingSubscribe(async (n) => {
    await Promise.resolve();
    order.push(`queued${n}`);
  });
  e.execute(1);
  e.execute(2);
  assert.deepEqual(order, ["sync1", "sync2"]);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(order, ["sync1", "sync2", "queued1", "queued2"]);
});

Deno.test("werift event fix: a completed event ignores execute; a throwing subscriber throws", () => {
  const e = leanEvent<[number]>();
  let seen = 0;
  e.subscribe(() => seen++);
  e.complete();
  e.execute(1);
  assert.equal(seen, 0);
  const f = leanEvent<[]>();
  f.subscribe(() => {
    throw new Error("subscriber failed");
  });
  assert.throws(() => f.execute(), /subscriber failed/);
});

Deno.test("werift event fix: applying it twice wraps once", () => {
  const e = new Event<[]>();
  leanExecute(e as unknown as EventInternals);
  const first = e.execute;
  leanExecute(e as unknown as EventInternals);
  assert.equal(e.execute, first);
});

Deno.test({
  name: "werift event fix: a connected peer takes in RTP without starting an async function",
  // Reading on the media clock makes the whole receive path one synchronous call to measure.
  ignore: !LibcUdpTransport.available,
  async fn() {
    installWeriftPatches();
    const caller = await WhatsAppCaller.create({
      decode: false,
      waitForFirstPacket: false,
      opusVoice: () => new Uint8Array(20),
    });
    const checked = validateWhatsAppOffer(caller.offerSdp);
    assert.ok(checked.ok);
    const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
      includeLoopback: true,
      allowPrivateCandidates: true,
    });
    let heard = 0;
    peer.onRtp(() => heard++);
    try {
      peer.receiveOnTicks(true);
      await caller.applyAnswer(peer.answerSdp);
      await Promise.all([peer.connected(10_000), caller.connected(10_000)]);
      await new Promise((r) => setTimeout(r, 200));
      const started = catchesDuring(() => peer.pollRtp());
      assert.ok(heard >= 5, `${heard} packets`);
      // werift's own events start two per packet (UDP protocol, ICE connection); RTCP, one.
      assert.ok(started < heard, `${started} async functions for ${heard} packets`);
    } finally {
      await peer.close();
      await caller.close();
    }
  },
});
