import assert from "node:assert/strict";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller } from "../../simulator/whatsapp_caller.ts";
import { LibcUdpTransport } from "./libc_udp_transport.ts";
import { WhatsAppPeer } from "./whatsapp_peer.ts";

Deno.test("peer sends RTP in order and RTCP sender reports that count it", async () => {
  const caller = await WhatsAppCaller.create({ decode: false });
  const checked = validateWhatsAppOffer(caller.offerSdp);
  assert.ok(checked.ok);
  const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, { includeLoopback: true });
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
    const checked = validateWhatsAppOffer(caller.offerSdp);
    assert.ok(checked.ok);
    const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
      includeLoopback: true,
    });
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
