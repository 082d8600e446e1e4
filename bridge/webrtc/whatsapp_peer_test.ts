import assert from "node:assert/strict";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { LibcUdpTransport } from "./libc_udp_transport.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

/** Our peer answering `caller`'s offer on loopback. */
function answer(caller: WhatsAppCaller): Promise<WhatsAppPeer> {
  installWeriftPatches();
  const checked = validateWhatsAppOffer(caller.offerSdp);
  assert.ok(checked.ok);
  return WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
    includeLoopback: true,
    allowPrivateCandidates: true,
  });
}

Deno.test("peer sends RTP in order and RTCP sender reports that count it", async () => {
  const caller = await WhatsAppCaller.create({ decode: false });
  const peer = await answer(caller);
  try {
    await caller.applyAnswer(peer.answerSdp);
    await Promise.all([peer.connected(10_000), caller.connected(10_000)]);
    const payload = new Uint8Array(30).fill(0xf8);
    // 2.4 s of frames: werift reports every 0.5–1.5 s.
    for (let i = 0; i < 120; i++) {
      peer.sendOpus(payload, (65500 + i) & 0xffff, (i * 960) >>> 0, i === 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 100));
    const heard = caller.heardRtp.filter((p) => p.ssrc === peer.ssrc);
    assert.equal(heard.length, 120);
    assert.ok(heard.every((p, i) => p.seq === ((65500 + i) & 0xffff) && p.ts === i * 960));
    assert.equal(heard[0]!.marker, true);
    // Across the sequence wrap at packet 36, by the fast path.
    assert.equal(peer.fastPathStats.packetsSent, 120);
    const report = caller.senderReport(peer.ssrc);
    assert.ok(report, "no sender report heard");
    assert.ok(report.packetCount >= 25 && report.packetCount <= 120, String(report.packetCount));
    assert.equal(report.octetCount, report.packetCount * payload.length);
  } finally {
    await peer.close();
    await caller.close();
  }
});

Deno.test({
  name:
    "media clock reads: asked before connecting, they start once connected, and pollRtp delivers",
  ignore: !LibcUdpTransport.available,
  async fn() {
    const caller = await WhatsAppCaller.create({
      decode: false,
      waitForFirstPacket: false,
      opusVoice: () => new Uint8Array(20),
    });
    const peer = await answer(caller);
    const heard: number[] = [];
    peer.onRtp((p) => heard.push(p.sequenceNumber));
    try {
      // As when Meta accepts before ICE is through: the handshake must not wait for media ticks.
      peer.receiveOnTicks(true);
      await caller.applyAnswer(peer.answerSdp);
      await Promise.all([peer.connected(10_000), caller.connected(10_000)]);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(heard.length, 0, "nobody but the media clock reads the sockets now");
      peer.pollRtp();
      assert.ok(heard.length >= 5, `${heard.length} packets`);
      // Handed back, the shared poller reads them again.
      peer.receiveOnTicks(false);
      const count = heard.length;
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(heard.length >= count + 5);
    } finally {
      await peer.close();
      await caller.close();
    }
  },
});

/**
 * Runs `start`, noting each timer it sets synchronously; `live` keeps those
 * neither fired nor cleared until `stop()`. (Deno's test sanitizer ignores timers.)
 */
function watchTimers<T>(start: () => T): { result: T; live: Set<unknown>; stop(): void } {
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  const live = new Set<unknown>();
  globalThis.setTimeout = ((run: () => void, ms?: number) => {
    const id: unknown = set(() => {
      live.delete(id);
      run();
    }, ms);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  let result: T;
  try {
    result = start();
  } finally {
    globalThis.setTimeout = set;
  }
  globalThis.clearTimeout = ((id?: number) => {
    live.delete(id);
    clear(id);
  }) as typeof clearTimeout;
  return { result, live, stop: () => void (globalThis.clearTimeout = clear) };
}

Deno.test("connected() leaves no listener or timer behind once it settles", async () => {
  const caller = await WhatsAppCaller.create({ decode: false });
  const peer = await answer(caller);
  try {
    const held = peer.listenerCount;
    const early = await Promise.allSettled(Array.from({ length: 20 }, () => peer.connected(1)));
    assert.ok(early.every((r) => r.status === "rejected"), "not connected within 1 ms");
    assert.equal(peer.listenerCount, held, "timed-out waits left nothing");
    const waits = watchTimers(() => Array.from({ length: 50 }, () => peer.connected(10_000)));
    try {
      assert.equal(peer.listenerCount, held + 50);
      assert.equal(waits.live.size, 50);
      await caller.applyAnswer(peer.answerSdp);
      await Promise.all([...waits.result, caller.connected(10_000)]);
      assert.equal(peer.listenerCount, held, "resolved waits left no listener");
      assert.equal(waits.live.size, 0, "nor a timer");
    } finally {
      waits.stop();
    }
    await peer.connected(10_000);
    assert.equal(peer.listenerCount, held);
  } finally {
    await peer.close();
    await caller.close();
  }
});

Deno.test("close rejects a pending connected(), tells the listeners, then drops them", async () => {
  const caller = await WhatsAppCaller.create({ decode: false });
  const peer = await answer(caller);
  const states: string[] = [];
  peer.onState((s) => states.push(s));
  peer.onRtp(() => {});
  const pending = watchTimers(() => peer.connected(10_000));
  try {
    await peer.close();
    await caller.close();
    await assert.rejects(pending.result, /media connection closed/);
    assert.equal(pending.live.size, 0, "its timer is cleared");
  } finally {
    pending.stop();
  }
  assert.deepEqual(states, ["closed"]);
  assert.equal(peer.listenerCount, 0, "no state or RTP listener, no werift subscription");
  await assert.rejects(peer.connected(10_000), /media connection closed/);
  assert.equal(peer.listenerCount, 0, "a wait after close registers nothing");
});

Deno.test("onState's returned function unsubscribes that listener only", async () => {
  const caller = await WhatsAppCaller.create({ decode: false });
  const peer = await answer(caller);
  const heard: string[] = [];
  const stop = peer.onState((s) => heard.push(`a:${s}`));
  peer.onState((s) => heard.push(`b:${s}`));
  stop();
  await peer.close();
  await caller.close();
  assert.deepEqual(heard, ["b:closed"]);
});

Deno.test("by default a caller offering only loopback candidates is never checked: no connection", async () => {
  installWeriftPatches();
  const caller = await WhatsAppCaller.create({ decode: false });
  // Only the caller's loopback candidate: what an offer aimed at the bridge's own host looks like.
  const loopbackOnly = caller.offerSdp.split("\r\n")
    .filter((l) => !l.startsWith("a=candidate:") || l.includes(" 127.0.0.1 ")).join("\r\n");
  const checked = validateWhatsAppOffer(loopbackOnly);
  assert.ok(checked.ok);
  const peer = await WhatsAppPeer.answer(loopbackOnly, checked.offer, { includeLoopback: true });
  try {
    assert.deepEqual(peer.droppedCandidates.map((d) => d.scope), ["loopback"]);
    await caller.applyAnswer(peer.answerSdp);
    // The caller is ICE-lite: it connects only once our checks reach it.
    await assert.rejects(caller.connected(1_500));
    assert.notEqual(peer.state, "connected");
  } finally {
    await peer.close();
    await caller.close();
  }
});
