import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  MediaStreamTrack,
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RTCDtlsTransport,
  RTCPeerConnection,
  RtpHeader,
  type RtpPacket,
  SrtcpSession,
  SrtpAuthenticationError,
  SrtpSession,
} from "werift";
import {
  FastSrtpCipher,
  guardSrtcpReplays,
  SrtcpReplayGuard,
  SrtpReplayError,
  useFastRtpCiphers,
} from "./werift_srtp_fix.ts";
import type {
  RTCDtlsTransportInternals,
  SrtpCipherInternals,
  SrtpSessionInternals,
} from "./werift_internals.ts";
import { installWeriftPatches } from "./werift_patches.ts";
import { mulberry32 } from "../../simulator/prng.ts";

// Captured before the fix wraps it, so one peer below can stay on plain werift.
const weriftUpdateSrtpSession = RTCDtlsTransport.prototype.updateSrtpSession;
installWeriftPatches();

const PROFILES = [
  ["AES_CM_128_HMAC_SHA1_80", ProtectionProfileAes128CmHmacSha1_80, 10],
  ["AEAD_AES_128_GCM", ProtectionProfileAeadAes128Gcm, 16],
] as const;

interface Context {
  cipher: SrtpCipherInternals;
  decryptRtp(cipherText: Buffer): [Buffer, RtpHeader];
  encryptRtp(payload: Buffer, header: RtpHeader): Buffer;
}

/** werift's session and a fixed copy under the same master keys. */
function sessionPair(profile: number, seed: number): { werift: Context; fast: Context } {
  const rand = mulberry32(seed);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (rand() * 256) | 0));
  const saltLength = profile === ProtectionProfileAeadAes128Gcm ? 12 : 14;
  const config = {
    keys: {
      localMasterKey: bytes(16),
      localMasterSalt: bytes(saltLength),
      remoteMasterKey: bytes(16),
      remoteMasterSalt: bytes(saltLength),
    },
    profile,
  };
  const werift = new SrtpSession(config);
  const fast = new SrtpSession(config);
  useFastRtpCiphers(fast as unknown as SrtpSessionInternals);
  const context = (s: SrtpSession) => s.localContext as unknown as Context;
  return { werift: context(werift), fast: context(fast) };
}

function randomHeader(rand: () => number, seq: number): RtpHeader {
  const csrc = Array.from({ length: (rand() * 4) | 0 }, () => (rand() * 2 ** 32) >>> 0);
  const extensions = Array.from({ length: (rand() * 3) | 0 }, (_, i) => ({
    id: i + 1,
    payload: Buffer.alloc(1 + ((rand() * 4) | 0), i + 7),
  }));
  return new RtpHeader({
    payloadType: 111,
    sequenceNumber: seq,
    timestamp: (rand() * 2 ** 32) >>> 0,
    ssrc: (rand() * 2 ** 32) >>> 0,
    marker: rand() < 0.5,
    csrc,
    extensions,
  });
}

for (const [name, profile, tagLength] of PROFILES) {
  Deno.test(`${name}: the adapter's bytes equal werift's both ways, across ROCs`, () => {
    const { werift, fast } = sessionPair(profile, tagLength);
    assert.ok(fast.cipher instanceof FastSrtpCipher);
    assert.ok(!(werift.cipher instanceof FastSrtpCipher));
    const rand = mulberry32(42);
    for (let i = 0; i < 200; i++) {
      const header = randomHeader(rand, (rand() * 65536) | 0);
      const payload = Buffer.alloc((rand() * 1200) | 0, i);
      const roc = i % 4 === 0 ? 0 : (rand() * 2 ** 32) >>> 0;
      const expected = werift.cipher.encryptRtp(header, payload, roc);
      const wire = fast.cipher.encryptRtp(header, payload, roc);
      assert.ok(Buffer.isBuffer(wire));
      assert.ok(wire.equals(expected), `packet ${i}`);
      const parsed = RtpHeader.deSerialize(wire.subarray(0, wire.length - tagLength));
      const [plain, h] = fast.cipher.decryptRtp(wire, roc, parsed);
      const [weriftPlain] = werift.cipher.decryptRtp(wire, roc, parsed);
      assert.ok(Buffer.isBuffer(plain));
      assert.ok(plain.equals(weriftPlain));
      assert.ok(plain.subarray(h.payloadOffset).equals(payload));
      assert.throws(() => fast.cipher.decryptRtp(wire, roc ^ 1, parsed), SrtpAuthenticationError);
    }
  });

  Deno.test(`${name}: through werift's context, bad packets fail as werift's do`, () => {
    const { werift, fast } = sessionPair(profile, 100 + tagLength);
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: 9, timestamp: 1, ssrc: 77 });
    const wire = fast.encryptRtp(Buffer.from("hello, world"), header);
    const tampered = Buffer.from(wire);
    tampered[14]! ^= 1;
    for (const ctx of [werift, fast]) {
      assert.throws(() => ctx.decryptRtp(tampered), SrtpAuthenticationError);
      assert.throws(
        () => ctx.decryptRtp(wire.subarray(0, 12 + tagLength - 1)),
        SrtpAuthenticationError,
      );
    }
    // Padding: a valid count sets paddingSize; zero or more than the payload is rejected.
    for (const count of [3, 0, 40]) {
      const padded = new RtpHeader({ ...header, padding: true, sequenceNumber: 10 + count });
      const body = Buffer.concat([Buffer.from("voice"), Buffer.from([0, 0, count])]);
      const sealed = werift.encryptRtp(body, padded);
      assert.ok(sealed.equals(fast.encryptRtp(body, padded)));
      if (count === 3) {
        const [plainW, hW] = werift.decryptRtp(sealed);
        const [plainF, hF] = fast.decryptRtp(sealed);
        assert.ok(plainF.equals(plainW));
        assert.equal(hF.paddingSize, 3);
        assert.equal(hW.paddingSize, 3);
      } else {
        assert.throws(() => werift.decryptRtp(sealed), SrtpAuthenticationError);
        assert.throws(() => fast.decryptRtp(sealed), SrtpAuthenticationError);
      }
    }
  });
}

for (const [name, profile] of PROFILES) {
  Deno.test(`${name}: through werift's context, a replayed RTP packet is refused and counted`, () => {
    const { fast } = sessionPair(profile, 7);
    const cipher = fast.cipher as FastSrtpCipher;
    const header = (seq: number) =>
      new RtpHeader({
        payloadType: 111,
        sequenceNumber: seq,
        timestamp: 1,
        ssrc: 0xbeef,
        csrc: [5],
      });
    const wires = [40, 41, 42].map((seq) => fast.encryptRtp(Buffer.from("voice"), header(seq)));
    for (const wire of wires) fast.decryptRtp(wire);
    for (const wire of [wires[0]!, wires[2]!]) {
      assert.throws(() => fast.decryptRtp(wire), SrtpReplayError);
      // werift drops what fails as its own authentication error: a replay must be one.
      assert.throws(() => fast.decryptRtp(wire), SrtpAuthenticationError);
    }
    assert.equal(cipher.inbound.replays, 4);
    assert.ok(fast.decryptRtp(fast.encryptRtp(Buffer.from("next"), header(43))));
  });

  Deno.test(`${name}: forged RTP through werift's context leaves no per-SSRC state, ours or werift's`, () => {
    const { fast } = sessionPair(profile, 8);
    const rand = mulberry32(9);
    for (let i = 0; i < 500; i++) {
      const h = new RtpHeader({
        payloadType: 111,
        sequenceNumber: (rand() * 65536) | 0,
        timestamp: 0,
        ssrc: (rand() * 2 ** 32) >>> 0,
        csrc: [1],
      });
      const forged = fast.encryptRtp(Buffer.from("x"), h);
      forged[forged.length - 1]! ^= 1;
      // Sealing filled werift's sender state of the SSRC: drop it, to see what the receive side keeps.
      delete (fast as unknown as { srtpSSRCStates: Record<number, unknown> })
        .srtpSSRCStates[h.ssrc];
      assert.throws(() => fast.decryptRtp(forged), SrtpAuthenticationError);
    }
    const states = (fast as unknown as { srtpSSRCStates: Record<number, unknown> }).srtpSSRCStates;
    assert.equal(Object.keys(states).length, 0);
    assert.equal((fast.cipher as FastSrtpCipher).inbound.ssrcCount, 0);
    assert.equal((fast.cipher as FastSrtpCipher).inbound.replays, 0);
  });

  Deno.test(`${name}: a replayed SRTCP packet is refused by its index and counted`, () => {
    const gcm = profile === ProtectionProfileAeadAes128Gcm;
    const rand = mulberry32(11);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (rand() * 256) | 0));
    const [key, salt, otherKey, otherSalt] = [
      bytes(16),
      bytes(gcm ? 12 : 14),
      bytes(16),
      bytes(14),
    ];
    const sender = new SrtcpSession({
      keys: {
        localMasterKey: key,
        localMasterSalt: salt,
        remoteMasterKey: otherKey,
        remoteMasterSalt: otherSalt,
      },
      profile,
    });
    const receiver = new SrtcpSession({
      keys: {
        localMasterKey: otherKey,
        localMasterSalt: otherSalt,
        remoteMasterKey: key,
        remoteMasterSalt: salt,
      },
      profile,
    });
    const session = receiver as unknown as SrtpSessionInternals;
    guardSrtcpReplays(session);
    guardSrtcpReplays(session);
    const guard = session.remoteContext.cipher;
    assert.ok(guard instanceof SrtcpReplayGuard);
    const report = (ssrc: number) =>
      Buffer.from(`80c9000100000000`.replace(/0{8}$/, ssrc.toString(16).padStart(8, "0")), "hex");
    const [one, two, three, four] = [1, 2, 3, 4].map(() => sender.encrypt(report(0xaa)));
    for (const p of [one!, two!, four!, three!]) {
      assert.ok(receiver.decrypt(p).equals(report(0xaa)));
    }
    for (const p of [one!, three!]) assert.throws(() => receiver.decrypt(p), SrtpReplayError);
    assert.equal(guard.replays, 2);
    // A forgery neither counts as a replay nor marks its index: the genuine packet still gets in.
    const five = sender.encrypt(report(0xaa));
    const forged = Buffer.from(five);
    forged[9]! ^= 1;
    assert.throws(() => receiver.decrypt(forged), (e) => !(e instanceof SrtpReplayError));
    assert.ok(receiver.decrypt(five).equals(report(0xaa)));
    // Another sender SSRC has its own window, starting at its own index 1.
    assert.ok(receiver.decrypt(sender.encrypt(report(0xbb))).equals(report(0xbb)));
    assert.equal(guard.replays, 2);
  });
}

Deno.test("useFastRtpCiphers is idempotent and keeps werift's cipher for RTCP", () => {
  const { fast } = sessionPair(ProtectionProfileAes128CmHmacSha1_80, 1);
  const cipher = fast.cipher;
  useFastRtpCiphers({ localContext: fast, remoteContext: fast } as unknown as SrtpSessionInternals);
  assert.equal(fast.cipher, cipher);
  const rtcp = Buffer.from("80c80006000000010000000000000000000000000000000000000000", "hex");
  const sealed = fast.cipher.encryptRTCP(rtcp, 5);
  const [opened] = fast.cipher.decryptRTCP(sealed);
  assert.ok(opened.equals(rtcp));
});

/** A sendrecv audio peer on loopback. */
function peer(): RTCPeerConnection {
  const pc = new RTCPeerConnection({
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceFilterCandidatePair: (pair) => pair.remoteCandidate.host === "127.0.0.1",
    headerExtensions: { audio: [] },
  });
  pc.addTransceiver(new MediaStreamTrack({ kind: "audio" }), { direction: "sendrecv" });
  return pc;
}

function connected(pc: RTCPeerConnection): Promise<void> {
  if (pc.connectionState === "connected") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("not connected in 10 s")), 10_000);
    pc.connectionStateChange.subscribe((s) => {
      if (s === "connected") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const internals = (t: RTCDtlsTransport) =>
  t as unknown as RTCDtlsTransportInternals & { srtpProfiles: number[] };

/** Sends `count` packets from `from` and resolves with what `to` received. */
async function exchange(
  from: RTCDtlsTransport,
  to: RTCDtlsTransport,
  ssrc: number,
  count: number,
): Promise<{ sent: Array<[RtpHeader, Buffer]>; received: RtpPacket[] }> {
  const received: RtpPacket[] = [];
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${received.length}/${count} arrived`)),
      5000,
    );
    to.onRtp.subscribe((rtp) => {
      if (rtp.header.ssrc !== ssrc) return;
      received.push(rtp);
      if (received.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const sent: Array<[RtpHeader, Buffer]> = [];
  for (let i = 0; i < count; i++) {
    // Sequence numbers wrap mid-run, so the rollover counter becomes 1.
    const header = new RtpHeader({
      payloadType: 111,
      sequenceNumber: (65530 + i) & 0xffff,
      timestamp: 960 * i,
      ssrc,
      csrc: i % 3 === 0 ? [0xc5c5c5c5, i] : [],
      extensions: i % 2 === 0 ? [{ id: 1, payload: Buffer.of(0x80 | i) }] : [],
    });
    const payload = Buffer.alloc(20 + ((i * 37) % 300), i);
    sent.push([header, payload]);
    await from.sendRtp(payload, new RtpHeader({ ...header }));
    if (i % 5 === 4) await new Promise((r) => setTimeout(r, 2));
  }
  await all;
  return { sent, received };
}

for (const [name, profile] of PROFILES) {
  for (const fixedSide of ["offerer", "answerer"] as const) {
    Deno.test({
      name: `${name}: fixed ${fixedSide} and plain werift peer exchange RTP both ways`,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const offerer = peer();
        const answerer = peer();
        try {
          await offerer.setLocalDescription(await offerer.createOffer());
          await answerer.setRemoteDescription(offerer.localDescription!);
          await answerer.setLocalDescription(await answerer.createAnswer());
          await offerer.setRemoteDescription(answerer.localDescription!);
          const plain = fixedSide === "offerer" ? answerer : offerer;
          for (const pc of [offerer, answerer]) {
            for (const t of pc.dtlsTransports) internals(t).srtpProfiles = [profile];
          }
          for (const t of plain.dtlsTransports) {
            internals(t).updateSrtpSession = weriftUpdateSrtpSession;
          }
          await Promise.all([connected(offerer), connected(answerer)]);
          const [a] = offerer.dtlsTransports;
          const [b] = answerer.dtlsTransports;
          assert.ok(a && b);
          const fixed = fixedSide === "offerer" ? a : b;
          const other = fixedSide === "offerer" ? b : a;
          for (const ctx of ["localContext", "remoteContext"] as const) {
            assert.equal(internals(fixed).srtp![ctx].profile, profile);
            assert.equal(internals(other).srtp![ctx].profile, profile);
            assert.ok(internals(fixed).srtp![ctx].cipher instanceof FastSrtpCipher);
            assert.ok(!(internals(other).srtp![ctx].cipher instanceof FastSrtpCipher));
          }
          for (const [from, to, ssrc] of [[a, b, 0x1111], [b, a, 0x2222]] as const) {
            const { sent, received } = await exchange(from, to, ssrc, 30);
            received.sort((x, y) => x.header.timestamp - y.header.timestamp);
            sent.forEach(([h, payload], i) => {
              const got = received[i]!;
              assert.ok(got.payload.equals(payload), `packet ${i} payload`);
              assert.equal(got.header.sequenceNumber, h.sequenceNumber);
              assert.deepEqual(got.header.csrc, h.csrc);
              assert.deepEqual(
                got.header.extensions.map((e) => [e.id, [...e.payload]]),
                h.extensions.map((e) => [e.id, [...e.payload]]),
              );
            });
          }
        } finally {
          await Promise.all([offerer.close(), answerer.close()]);
        }
      },
    });
  }
}
