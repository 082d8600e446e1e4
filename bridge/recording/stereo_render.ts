/**
 * Raw recording → one stereo Ogg Opus file: caller left, agent right, on the
 * call's media clock, 20 ms per frame, gaps (loss, silence not sent, a
 * barge-in cut) as silence.
 *
 * Nothing is decoded or encoded again: each frame's Ogg packet is a
 * multistream Opus packet (RFC 7845 mapping family 1, two uncoupled mono
 * streams, channel 0 = caller, 1 = agent) holding the two payloads exactly as
 * they crossed the wire, the caller's in self-delimiting framing
 * (opus_packet.ts). A frame a side has no payload for gets a packet of
 * encoded silence. So the file is what each side heard, bit for bit, at the
 * two live bitrates (~40 kbit/s together, ~0.3 MB per minute), and rendering
 * costs a copy per packet. Only when a side sent packets other than 20 ms
 * (which cannot pair up), or the two live streams together would pass
 * {@linkcode MAX_COPY_BYTES_PER_MINUTE} (a caller sending far above WhatsApp's
 * usual ~20 kbit/s), does it fall back to decoding and encoding one 40 kbit/s
 * stereo stream (stereo_transcode.ts), keeping storage under 0.5 MB a minute.
 *
 * @module
 */
import { OPUS_PCM_RATE, opusSilencePacket } from "../../lib/audio/opus.ts";
import { OggOpusWriter } from "./ogg_opus_writer.ts";
import { concatSelfDelimited, packetDurationTenthsMs } from "./opus_packet.ts";
import { type RawRecord, type RawRecording, Side } from "./raw_recording.ts";
import { SlicedPages } from "./sliced_pages.ts";
import { transcodeStereo } from "./stereo_transcode.ts";

/** Above this many bytes per minute of payload the file is transcoded instead (0.5 MB cap, less Ogg's ~3 %). */
export const MAX_COPY_BYTES_PER_MINUTE = 450_000;
/** Frames rendered between yields to the event loop. */
const FRAMES_PER_SLICE = 8;
/** A caller timestamp jump beyond this (in frames) starts a new alignment segment. */
const DISCONTINUITY_FRAMES = 50;
const TICKS = 960;

/** What either render works on: both sides on the media clock, and where the pages go. */
export interface StereoJob {
  caller: PlacedPayload[];
  agent: PlacedPayload[];
  /** The call's length in 20 ms frames. */
  frames: number;
  /** Receives the file's pages in order. */
  write: (pages: Uint8Array[]) => Promise<void>;
  /** Frames rendered between yields to the event loop. */
  yieldEvery: number;
}

/** A payload at its place on the media clock. */
export interface PlacedPayload {
  frame: number;
  payload: Uint8Array;
}

/** Where each side's payloads fall on the media clock, in order, one per frame. */
export function placeRecords(records: readonly RawRecord[]): {
  caller: PlacedPayload[];
  agent: PlacedPayload[];
} {
  const agent = records.filter((r) => r.side === Side.Agent)
    .map((r) => ({ frame: r.frame, payload: r.payload }));
  return {
    caller: placeCaller(records.filter((r) => r.side === Side.Caller)),
    agent: dedupe(agent),
  };
}

/**
 * Caller payloads by their RTP timestamp, anchored to the media clock by the
 * smallest arrival delay in each continuous segment (a packet that waited in
 * the network is still placed where it was spoken).
 */
function placeCaller(records: readonly RawRecord[]): PlacedPayload[] {
  const out: PlacedPayload[] = [];
  let segment: Array<{ rtpFrame: number; arrival: number; payload: Uint8Array }> = [];
  const close = () => {
    if (segment.length === 0) return;
    const offset = Math.min(...segment.map((s) => s.arrival - s.rtpFrame));
    for (const s of segment) out.push({ frame: s.rtpFrame + offset, payload: s.payload });
    segment = [];
  };
  let prev: RawRecord | undefined;
  for (const r of records) {
    const last = segment.at(-1);
    // Signed distance from the previous packet: reordering and the 32-bit wrap both handled.
    const step = prev === undefined
      ? 0
      : Math.round(((r.rtpTimestamp - prev.rtpTimestamp) | 0) / TICKS);
    if (last === undefined || Math.abs(r.frame - last.arrival - step) > DISCONTINUITY_FRAMES) {
      // A new stream (or a timestamp jump): it gets an anchor of its own.
      close();
      segment.push({ rtpFrame: 0, arrival: r.frame, payload: r.payload });
    } else {
      segment.push({ rtpFrame: last.rtpFrame + step, arrival: r.frame, payload: r.payload });
    }
    prev = r;
  }
  close();
  return dedupe(out.filter((p) => p.frame >= 0));
}

function dedupe(placed: PlacedPayload[]): PlacedPayload[] {
  placed.sort((a, b) => a.frame - b.frame);
  return placed.filter((p, i) => i === 0 || placed[i - 1]!.frame !== p.frame);
}

/** What {@linkcode renderStereo} produced. */
export interface RenderResult {
  /** Size of the Ogg file written. */
  bytes: number;
  durationMs: number;
  frames: number;
}

/** Options for {@linkcode renderStereo}. */
export interface RenderOptions {
  /** Frames between yields to the event loop. @default 8 (transcode) / 500 (copy) */
  yieldEvery?: number;
  /** Force the decode + encode fallback (tests). */
  transcode?: boolean;
}

/**
 * Renders a raw recording to stereo Ogg Opus, handing pages to `write` as they
 * complete (so a long call never sits in memory as one file).
 */
export async function renderStereo(
  raw: RawRecording,
  write: (pages: Uint8Array[]) => Promise<void>,
  opts: RenderOptions = {},
): Promise<RenderResult> {
  const { caller, agent } = placeRecords(raw.records);
  const frames = Math.max(caller.at(-1)?.frame ?? -1, agent.at(-1)?.frame ?? -1) + 1;
  const twenty = (p: PlacedPayload) =>
    p.payload.length === 0 || packetDurationTenthsMs(p.payload) === 200;
  const payloadBytes = [...caller, ...agent].reduce((n, p) => n + p.payload.length, 0);
  const tooBig = frames > 0 && payloadBytes / (frames / 3000) > MAX_COPY_BYTES_PER_MINUTE;
  if (opts.transcode || tooBig || !caller.every(twenty) || !agent.every(twenty)) {
    const yieldEvery = opts.yieldEvery ?? FRAMES_PER_SLICE;
    return await transcodeStereo({ caller, agent, frames, write, yieldEvery });
  }
  return await muxStereo({ caller, agent, frames, write, yieldEvery: opts.yieldEvery ?? 500 });
}

async function muxStereo(
  { caller, agent, frames, write, yieldEvery }: StereoJob,
): Promise<RenderResult> {
  const silence = opusSilencePacket();
  const ogg = new OggOpusWriter({
    channels: 2,
    preSkip: 0, // each payload is as it was played live, encoder delay included
    inputSampleRate: OPUS_PCM_RATE,
    uncoupled: true,
  });
  const out = new SlicedPages(ogg, write, yieldEvery);
  let c = 0;
  let a = 0;
  for (let f = 0; f < frames; f++) {
    let left = silence;
    let right = silence;
    if (caller[c]?.frame === f) {
      const p = caller[c++]!.payload;
      if (p.length > 0) left = p;
    }
    if (agent[a]?.frame === f) {
      const p = agent[a++]!.payload;
      if (p.length > 0) right = p;
    }
    // A caller payload that is no valid Opus is heard as silence, as the live decoder concealed it.
    const packet = concatSelfDelimited(left, right) ?? concatSelfDelimited(silence, right)!;
    ogg.addPacket(packet, TICKS);
    if (out.endsSlice(f)) await out.handOff();
  }
  ogg.end(frames * TICKS);
  await out.flush();
  return { bytes: out.bytes, durationMs: frames * 20, frames };
}
