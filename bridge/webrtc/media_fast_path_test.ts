import assert from "node:assert/strict";
import { isRtp } from "./media_fast_path.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { type RtpIn, WhatsAppPeer } from "./whatsapp_peer.ts";
import { validateWhatsAppOffer } from "../../lib/sdp/whatsapp.ts";
import { WhatsAppCaller, type WhatsAppCallerOptions } from "../../simulator/whatsapp_caller.ts";

const VOICE = new Uint8Array(40).fill(0x5a);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connected caller and bridge peer, with every RTP packet the peer delivered. */
async function connectedCall(
  options: WhatsAppCallerOptions,
  run: (call: { caller: WhatsAppCaller; peer: WhatsAppPeer; heard: RtpIn[] }) => Promise<void>,
): Promise<void> {
  installWeriftPatches();
  const caller = await WhatsAppCaller.create({ decode: false, ...options });
  const checked = validateWhatsAppOffer(caller.offerSdp);
  assert.ok(checked.ok);
  const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, { includeLoopback: true });
  const heard: RtpIn[] = [];
  peer.onRtp((p) => heard.push(p));
  try {
    await caller.applyAnswer(peer.answerSdp);
    await Promise.all([peer.connected(10_000), caller.connected(10_000)]);
    await run({ caller, peer, heard });
  } finally {
    await peer.close();
    await caller.close();
  }
}

Deno.test("isRtp splits the media datagrams as werift's DTLS transport does", () => {
  assert.equal(isRtp(Uint8Array.of(0x80, 111)), true);
  assert.equal(isRtp(Uint8Array.of(0x80, 0x80 | 111)), true); // marker set
  assert.equal(isRtp(Uint8Array.of(0x80, 200)), false); // RTCP sender report
  assert.equal(isRtp(Uint8Array.of(0x81, 201)), false); // RTCP receiver report
  assert.equal(isRtp(Uint8Array.of(0x16, 0xfe)), false); // DTLS
  assert.equal(isRtp(Uint8Array.of(0x00, 0x01)), false); // STUN
  assert.equal(isRtp(Uint8Array.of(0x80)), false);
});

Deno.test("caller RTP crosses a sequence wrap on the fast path, and receiver reports count it", async () => {
  await connectedCall(
    { firstSequenceNumber: 65480, waitForFirstPacket: false, opusVoice: () => VOICE },
    async ({ caller, peer, heard }) => {
      // werift reports every 0.5–1.5 s; the wrap comes after 56 packets (1.1 s).
      await sleep(2800);
      assert.ok(heard.length >= 100, `${heard.length} packets`);
      // The caller may send its first packets a moment before our DTLS side has finished.
      const first = heard[0]!.sequenceNumber;
      assert.ok(first >= 65480 && first < 65490, String(first));
      heard.forEach((p, i) => {
        assert.equal(p.sequenceNumber, (first + i) & 0xffff);
        assert.deepEqual(p.payload, VOICE);
      });
      const stats = peer.fastPathStats;
      assert.equal(stats.packetsReceived, heard.length);
      assert.equal(stats.authFailures, 0);
      const report = caller.receiverReport();
      assert.ok(report, "no receiver report heard");
      assert.equal(report.packetsLost, 0);
      const last = heard.at(-1)!.sequenceNumber;
      assert.ok(
        report.highestSequence <= last && last - report.highestSequence < 100,
        `${report.highestSequence} vs ${last}`,
      );
    },
  );
});

Deno.test("RTP with a header extension, which the fast path leaves to werift, still arrives", async () => {
  await connectedCall(
    { waitForFirstPacket: false, opusVoice: () => VOICE },
    async ({ caller, peer, heard }) => {
      await sleep(200);
      const before = peer.fastPathStats.packetsReceived;
      const payload = Uint8Array.of(1, 2, 3, 4, 5);
      caller.sendRtp({
        payloadType: 111,
        payload,
        extension: { id: 1, payload: Uint8Array.of(0x7f) },
      });
      await sleep(200);
      const odd = heard.filter((p) => p.payload.length === payload.length);
      assert.equal(odd.length, 1);
      assert.deepEqual(Uint8Array.from(odd[0]!.payload), payload);
      // Everything else took the fast path.
      assert.equal(peer.fastPathStats.packetsReceived, heard.length - 1);
      assert.ok(peer.fastPathStats.packetsReceived > before);
    },
  );
});

Deno.test("forged RTP is dropped and counted, and the caller's audio goes on", async () => {
  await connectedCall(
    { waitForFirstPacket: false, opusVoice: () => VOICE },
    async ({ caller, peer, heard }) => {
      await sleep(300);
      const { ssrc, sequenceNumber } = heard.at(-1)!;
      for (const jump of [1, 2, 30000, 40000]) {
        const seq = (sequenceNumber + jump) & 0xffff;
        const forged = new Uint8Array(12 + 40 + 16);
        forged.set([0x80, 111, seq >> 8, seq & 0xff, 0, 0, 0, 1]);
        new DataView(forged.buffer).setUint32(8, ssrc);
        caller.sendDatagram(forged);
      }
      const count = heard.length;
      await sleep(300);
      assert.equal(peer.fastPathStats.authFailures, 4);
      assert.equal(peer.srtpAuthFailures, 4);
      const after = heard.slice(count);
      assert.ok(after.length >= 10, `${after.length} packets after the forgeries`);
      assert.ok(after.every((p) => p.payload.length === VOICE.length));
      // A forgery far ahead must not have moved the rollover counter: sequence runs on.
      after.forEach((p, i) =>
        i > 0 && assert.equal(p.sequenceNumber, (after[i - 1]!.sequenceNumber + 1) & 0xffff)
      );
    },
  );
});
