import assert from "node:assert/strict";
import { isRtp } from "./media_fast_path.ts";
import { CALLER_SSRC, FakeMediaLink, REMOTE } from "./media_fast_path_test_utils.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { type RtpIn, WhatsAppPeer } from "./whatsapp_peer.ts";
import { mulberry32 } from "../../simulator/prng.ts";
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
  const peer = await WhatsAppPeer.answer(caller.offerSdp, checked.offer, {
    includeLoopback: true,
    allowPrivateCandidates: true,
  });
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

Deno.test("a replayed SRTP packet is dropped unauthenticated and counted; the original is delivered once", () => {
  const link = new FakeMediaLink();
  const packets = [100, 101, 102].map((seq) => link.seal(seq));
  for (const p of packets) link.receive(p);
  const tries = link.unprotectCalls;
  link.receive(packets[0]!);
  link.receive(packets[2]!);
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [100, 101, 102]);
  assert.equal(link.path.replays, 2);
  assert.equal(link.unprotectCalls, tries, "a replay costs no authentication");
  assert.equal(link.path.authFailures, 0);
});

Deno.test("packets reordered within the window are delivered; one too old for it is not", () => {
  const link = new FakeMediaLink();
  for (const seq of [10, 12, 11, 200, 73, 72]) link.receive(link.seal(seq));
  // 73 is 127 behind 200, the window's oldest slot; 72 is 128 behind.
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [10, 12, 11, 200, 73]);
  assert.equal(link.path.replays, 1);
});

Deno.test("a replay across the SEQ wrap is caught under the right ROC", () => {
  const link = new FakeMediaLink();
  const late = link.seal(65535);
  for (const p of [link.seal(65534), link.seal(0, { roc: 1 }), late, link.seal(1, { roc: 1 })]) {
    link.receive(p);
  }
  link.receive(late);
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [65534, 0, 65535, 1]);
  assert.equal(link.path.replays, 1);
});

Deno.test("media from anywhere but the nominated pair's remote is dropped before any crypto, and counted", () => {
  const link = new FakeMediaLink();
  const rtp = link.seal(7);
  const rtcp = Uint8Array.of(0x80, 201, 0, 1, 0, 0, 0, 1, ...new Array(14).fill(0));
  for (const from of [["192.0.2.8", REMOTE[1]], [REMOTE[0], REMOTE[1] + 1]] as const) {
    link.receive(rtp, [...from]);
    link.receive(rtcp, [...from]);
  }
  link.receive(rtp, REMOTE, link.otherSocket); // the right sender, on another local socket
  assert.equal(link.delivered.length, 0);
  assert.equal(link.toWerift.length, 0, "RTCP from elsewhere never reaches werift's SRTCP");
  assert.equal(link.unprotectCalls, 0);
  assert.equal(link.path.foreignSourceDrops, 5);
  link.receive(rtp);
  link.receive(rtcp);
  assert.equal(link.delivered.length, 1, "the same packet from the remote is taken");
  assert.equal(link.toWerift.length, 1, "and the remote's RTCP goes to werift");
});

Deno.test("before nomination, or once consent has lapsed, media is dropped and counted", () => {
  const link = new FakeMediaLink();
  link.connection.consentFresh = false;
  link.receive(link.seal(1));
  const nominated = link.connection.nominated;
  link.connection.consentFresh = true;
  link.connection.nominated = undefined;
  link.receive(link.seal(2));
  assert.equal(link.delivered.length, 0);
  assert.equal(link.path.foreignSourceDrops, 2);
  link.connection.nominated = nominated;
  link.receive(link.seal(3));
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [3]);
});

Deno.test("once another pair is nominated, the previous remote's media is dropped", () => {
  const link = new FakeMediaLink();
  link.receive(link.seal(1));
  link.connection.nominated = {
    protocol: link.connection.nominated!.protocol,
    remoteCandidate: { host: "192.0.2.9", port: REMOTE[1] },
  };
  link.receive(link.seal(2));
  link.receive(link.seal(3), ["192.0.2.9", REMOTE[1]]);
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [1, 3]);
  assert.equal(link.path.foreignSourceDrops, 1);
});

Deno.test("an IPv6 remote matches however its candidate spells the address", () => {
  const link = new FakeMediaLink();
  link.connection.nominated!.remoteCandidate.host = "2001:DB8:0:0:0:0:0:1";
  link.receive(link.seal(1), ["2001:db8::1", REMOTE[1]]);
  link.receive(link.seal(2), ["2001:db8::2", REMOTE[1]]);
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [1]);
  assert.equal(link.path.foreignSourceDrops, 1);
});

Deno.test("on a relayed pair, media that came in on a host socket is dropped", () => {
  const link = new FakeMediaLink();
  const relay = {
    type: "turn" as const,
    transport: { receivingFrom: undefined, send: () => Promise.resolve() },
  };
  link.connection.protocols.push(relay);
  link.connection.nominated = {
    protocol: relay,
    remoteCandidate: { host: "198.51.100.1", port: 9 },
  };
  link.receive(link.seal(1), ["203.0.113.5", 3478], relay.transport); // from the TURN server
  link.receive(link.seal(2), REMOTE, link.socket);
  assert.deepEqual(link.delivered.map((p) => p.sequenceNumber), [1]);
  assert.equal(link.path.foreignSourceDrops, 1);
});

Deno.test("forged packets with random SSRCs are counted and leave no per-SSRC state", () => {
  const link = new FakeMediaLink();
  link.receive(link.seal(1));
  const rand = mulberry32(13);
  for (let i = 0; i < 5000; i++) {
    const forged = link.seal((rand() * 65536) | 0, { ssrc: (rand() * 2 ** 32) >>> 0 });
    forged[forged.length - 1]! ^= 1;
    link.receive(forged);
  }
  assert.equal(link.path.authFailures, 5000);
  assert.equal(link.cipher.inbound.ssrcCount, 1, "only the caller's SSRC");
  link.receive(link.seal(2));
  assert.deepEqual(link.delivered.map((p) => [p.ssrc, p.sequenceNumber]), [[CALLER_SSRC, 1], [
    CALLER_SSRC,
    2,
  ]]);
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
      assert.equal(stats.replays, 0, "no real packet is taken for a replay");
      assert.equal(stats.foreignSourceDrops, 0, "nor for a stranger's");
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
      // Near jumps stay clear of the real packets still in flight (~30 in this test), which
      // would otherwise make a forgery a replay instead of an authentication failure.
      for (const jump of [60, 61, 30000, 40000]) {
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
