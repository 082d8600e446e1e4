/**
 * RTP parse + serialize cost for a typical WhatsApp Opus packet: 100 bytes with
 * a one-byte header extension (audio level + abs-send-time). Serialization uses
 * the `writeRtp` fast path into a reused buffer, as the send path should:
 * allocating a fresh `Uint8Array` of 100 bytes alone costs over 1 µs in Deno.
 *
 * @module
 */
import { type BenchSuite, type Figure, timePerCallNs } from "./figure.ts";
import {
  ONE_BYTE_PROFILE,
  parseRtp,
  type RtpPacket,
  serializeRtp,
  writeRtp,
} from "../lib/rtp/packet.ts";

function opusPacket(): Uint8Array {
  const packet: RtpPacket = {
    version: 2,
    padding: 0,
    marker: false,
    payloadType: 111,
    sequenceNumber: 4711,
    timestamp: 960 * 1234,
    ssrc: 0x1234abcd,
    csrcs: [],
    extension: {
      profile: ONE_BYTE_PROFILE,
      data: new Uint8Array(0),
      elements: [
        { id: 1, data: Uint8Array.of(0x85) },
        { id: 2, data: Uint8Array.of(0x12, 0x34, 0x56) },
      ],
    },
    payload: Uint8Array.from({ length: 76 }, (_, i) => i * 7),
  };
  return serializeRtp(packet);
}

/** Parse + serialize per packet, into a reused buffer. */
export const suite: BenchSuite = {
  name: "rtp packet (lib/rtp/packet.ts)",
  run(): Promise<Figure[]> {
    const wire = opusPacket();
    if (wire.length !== 100) throw new Error(`bench packet is ${wire.length} bytes`);
    const out = new Uint8Array(1500);
    const intoBuffer = timePerCallNs(() => {
      const r = parseRtp(wire);
      return r.ok ? writeRtp(r.packet, out) : 0;
    });
    return Promise.resolve([
      {
        name: "RTP parse + writeRtp (100-byte Opus, one-byte ext)",
        value: intoBuffer / 1000,
        unit: "µs/packet",
        op: "<=",
        target: 0.5,
      },
    ]);
  },
};
