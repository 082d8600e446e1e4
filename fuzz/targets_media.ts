/**
 * Fuzz targets for the media parsers: RTP (ours and the header parser the
 * bridge installs in werift), werift's RTCP parser as the bridge's DTLS
 * transport calls it, RFC 4733 telephone events with the DTMF detector, and
 * SRTP unprotection.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { isDeepStrictEqual } from "node:util";
import { RtcpPacketConverter, type RtpHeader } from "werift";
import {
  parseRtp,
  type RtpPacket,
  type RtpParseErrorCode,
  serializeRtp,
} from "../lib/rtp/packet.ts";
import { DtmfDetector, parseTelephoneEvent, telephoneEventPackets } from "../lib/rtp/dtmf.ts";
import { parseRtpHeader, weriftParseRtpHeader } from "../bridge/webrtc/werift_rtp_fix.ts";
import { rtcpPackets, rtpPackets } from "./corpus.ts";
import { mutateBytes } from "./mutate_bytes.ts";
import { base64, defineTarget, expect, type FuzzTarget, havoc } from "./target.ts";
import type { Rng } from "./rng.ts";

const RTP_ERRORS: ReadonlySet<RtpParseErrorCode> = new Set([
  "truncated",
  "bad_version",
  "bad_padding",
  "bad_extension",
  "bad_csrc",
]);

const bytesMutant = (rng: Rng, seeds: readonly Uint8Array[]) => havoc(rng, seeds, mutateBytes);

/** The fields a parse → serialize → parse round trip keeps (RFC 8285 padding and trailers aside). */
function rtpFields(p: RtpPacket): unknown {
  const ext = p.extension;
  return {
    ...p,
    extension: ext && { profile: ext.profile, body: ext.elements ?? ext.data },
  };
}

/** `lib/rtp/packet.ts`: never throws, errors carry a known code, a parsed packet round-trips. */
export const rtpTarget: FuzzTarget = defineTarget({
  name: "rtp",
  about: "parseRtp: an ok packet or a known error code; ok packets serialize and parse back",
  seeds: rtpPackets,
  generate: bytesMutant,
  check(bytes) {
    const r = parseRtp(bytes);
    if (!r.ok) return expect(RTP_ERRORS.has(r.error.code), `unknown code ${r.error.code}`);
    const { payload } = r.packet;
    expect(
      payload.buffer === bytes.buffer &&
        payload.byteOffset + payload.length <= bytes.byteOffset + bytes.length,
      "payload is not a view inside the packet",
    );
    const again = parseRtp(serializeRtp(r.packet));
    expect(
      again.ok && isDeepStrictEqual(rtpFields(again.packet), rtpFields(r.packet)),
      "a parsed packet does not serialize back to itself",
    );
  },
  encode: base64,
});

/** A parser's outcome: the header's fields, or the class of what it threw. */
function outcome(parse: (raw: Buffer) => RtpHeader, raw: Buffer): object {
  try {
    return { ...parse(raw) };
  } catch (error) {
    return { threw: error instanceof Error ? error.constructor.name : typeof error };
  }
}

/** True when the header (CSRCs, extension) claims more bytes than the packet has. */
function headerOverruns(bytes: Uint8Array): boolean {
  if (bytes.length < 12) return true;
  const at = 12 + 4 * (bytes[0]! & 0x0f);
  if ((bytes[0]! & 0x10) === 0) return at > bytes.length;
  return at + 4 > bytes.length ||
    at + 4 + 4 * ((bytes[at + 2]! << 8) | bytes[at + 3]!) > bytes.length;
}

/**
 * `bridge/webrtc/werift_rtp_fix.ts`: the RTP header parser the bridge
 * installs in werift, which werift's SRTP layer runs on every datagram
 * before authenticating it. werift drops a packet whose parse throws, so
 * throwing is allowed; otherwise it must read what werift's own parser
 * reads, except that it may refuse a header running past the packet.
 */
export const rtpWeriftTarget: FuzzTarget = defineTarget({
  name: "rtp-werift",
  about: "the bridge's werift RTP header parser: werift's result, or refuses an overrun; in time",
  seeds: rtpPackets,
  generate: bytesMutant,
  check(bytes) {
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const fixed = outcome(parseRtpHeader, raw);
    // Checked first: werift's own parser is quadratic on such packets.
    if ("threw" in fixed && headerOverruns(bytes)) return;
    expect(
      isDeepStrictEqual(fixed, outcome(weriftParseRtpHeader, raw)),
      "the bridge's parse differs from werift's",
    );
  },
  encode: base64,
});

/**
 * werift's `RtcpPacketConverter.deSerialize`, the parser behind every SRTCP
 * datagram the bridge receives. Its caller (werift's `RTCDtlsTransport`)
 * drops a datagram whose parse throws, so an `Error` is an allowed outcome;
 * what is not: a non-Error throw, a non-array result, or a slow parse.
 */
export const rtcpTarget: FuzzTarget = defineTarget({
  name: "rtcp",
  about: "werift's RTCP parser: an array of packets or an Error (dropped), in time",
  seeds: async () => (await rtcpPackets()).map((s) => s.bytes),
  generate: bytesMutant,
  check(bytes) {
    let packets: unknown;
    try {
      packets = RtcpPacketConverter.deSerialize(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
      );
    } catch (error) {
      return expect(error instanceof Error, `threw a non-Error: ${String(error)}`);
    }
    expect(Array.isArray(packets), "returned a non-array");
  },
  encode: base64,
});

/** RTP timestamp (4 bytes) + 4-byte telephone-event payload: one detector input record. */
const RECORD = 8;

/** Key presses as records, as a caller's stack sends them (updates, then three end packets). */
function dtmfSeeds(): Uint8Array[] {
  return (["1", "#", "D", "0"] as const).map((digit, k) => {
    const packets = telephoneEventPackets(digit, { durationMs: 60 + 40 * k });
    const out = new Uint8Array(packets.length * RECORD);
    packets.forEach((p, i) => {
      new DataView(out.buffer).setUint32(i * RECORD, 16_000 * (k + 1));
      out.set(p.payload, i * RECORD + 4);
    });
    return out;
  });
}

/** Events `DtmfDetector` remembers: past this many, an old event's late repeat may count again. */
const DETECTOR_HISTORY = 8;

/** The digit event a record's payload carries (`timestamp:code`), or undefined. */
function eventKey(timestamp: number, payload: Uint8Array): string | undefined {
  const e = parseTelephoneEvent(payload);
  return e.ok && e.event.digit !== null ? `${timestamp}:${e.event.code}` : undefined;
}

/** The detector fed `bytes` as records: how many digits it reported, from how many events and runs. */
function detect(bytes: Uint8Array): { reported: number; events: number; runs: number } {
  const detector = new DtmfDetector();
  const events = new Set<string>();
  let [reported, runs, previous] = [0, 0, ""];
  for (let at = 0; at < bytes.length; at += RECORD) {
    const timestamp = bytes.length - at >= 4
      ? new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0)
      : 0;
    const payload = bytes.subarray(Math.min(bytes.length, at + 4), at + RECORD);
    const press = detector.push({ timestamp, payload });
    const key = eventKey(timestamp, payload);
    if (key !== undefined && key !== previous) [runs, previous] = [runs + 1, key];
    if (key !== undefined) events.add(key);
    if (press === null) continue;
    reported++;
    expect(key === `${press.timestamp}:${press.code}`, `reported ${press.digit} for another event`);
  }
  return { reported, events: events.size, runs };
}

/**
 * `lib/rtp/dtmf.ts`: `parseTelephoneEvent` never throws and reads fields in
 * range. The detector, fed the input as records (RTP timestamp, payload),
 * reports only the event of the packet at hand, at most once per run of
 * packets of one event (the redundancy RFC 4733 senders use), and at most
 * once per event while the events fit its memory.
 */
export const dtmfTarget: FuzzTarget = defineTarget({
  name: "dtmf",
  about: "RFC 4733 payloads and DtmfDetector: fields in range, each key press at most once",
  seeds: () => Promise.resolve(dtmfSeeds()),
  generate: bytesMutant,
  check(bytes) {
    const whole = parseTelephoneEvent(bytes);
    expect(whole.ok === bytes.length >= 4, "the 4-byte event minimum not applied");
    if (whole.ok) {
      const e = whole.event;
      expect(e.volume <= 63 && e.duration <= 0xffff && e.code <= 255, "field out of range");
    }
    const { reported, events, runs } = detect(bytes);
    expect(reported <= runs, `${reported} digits from ${runs} runs of packets`);
    if (events <= DETECTOR_HISTORY) {
      expect(reported <= events, `${reported} digits from ${events} events`);
    }
  },
  encode: base64,
});
