/**
 * A 3-second call on fake clocks, through the real CallMedia and the real
 * recording tap: the caller talks a 440 Hz tone the whole time, with packets
 * arriving 0–2 frames late and a lost stretch (frames 60–79); the agent
 * answers in 1 kHz from frame 20 with 2.4 s queued, and the caller barges in
 * so the agent's audio is flushed before frame 100. Tests check the
 * recording against these frame numbers.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Decoder } from "@evan/opus";
import { readOggPages } from "./ogg_opus_writer.ts";
import { splitMultistream } from "./opus_packet.ts";
import { OpusDecoder, OpusEncoder } from "../../lib/audio/opus.ts";
import { goertzelPower, sine } from "../../lib/audio/tone.ts";
import { scriptedCallMedia } from "../media/scripted_caller.ts";
import { ManualScheduler } from "../media/fake_scheduler.ts";
import { OutboundPlayer } from "../media/outbound_player.ts";
import { CallRecording } from "./call_recording.ts";
import type { ByteSink } from "./raw_recording.ts";

/** The scenario's frame numbers. */
export const SCENARIO = {
  frames: 150,
  callerHz: 440,
  agentHz: 1000,
  lostFrom: 60,
  lostTo: 80, // exclusive
  agentFrom: 20,
  bargeInAt: 100,
  agentQueuedFrames: 120,
} as const;

/** Caller packet n arrives at tick n + 0, 1 or 2 (a deterministic jitter). */
export function callerArrivalTick(n: number): number {
  return n + (n % 3);
}

/** A sink that keeps what was written in memory. */
export class MemorySink implements ByteSink {
  chunks: Uint8Array[] = [];
  closed = false;
  /** Appends a copy. */
  write(bytes: Uint8Array): Promise<number> {
    this.chunks.push(bytes.slice());
    return Promise.resolve(bytes.length);
  }
  /** Marks closed. */
  close(): void {
    this.closed = true;
  }
  /** Everything written, in one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** What the scenario's media path did, frame by frame (frame 0 = first packet sent). */
export interface ScenarioTrace {
  /** Every payload that went on the wire, by frame. */
  sent: Uint8Array[];
  /** Frames whose audio from the player carried agent voice. */
  voicedFrames: number[];
}

/** Runs the scenario into `recording` (or a fresh in-memory one). */
export async function runScenario(recording?: CallRecording): Promise<ScenarioTrace> {
  const rec = recording ?? new CallRecording("wacid.scenario", new MemorySink());
  const scheduler = new ManualScheduler();
  const encoder = new OpusEncoder();
  const tone = sine(SCENARIO.callerHz, 24000, 480 * SCENARIO.frames, 8000);
  const callerPackets = Array.from(
    { length: SCENARIO.frames },
    (_, n) => encoder.encode(tone.subarray(n * 480, (n + 1) * 480)),
  );
  const ts0 = 123_456_789;
  const trace: ScenarioTrace = { sent: [], voicedFrames: [] };
  // Poll t (one a tick) delivers the packets arriving at tick t, less the lost stretch.
  function* arrivals(tick: number) {
    for (let n = Math.max(0, tick - 2); n <= tick && n < SCENARIO.frames; n++) {
      if (callerArrivalTick(n) !== tick) continue;
      if (n >= SCENARIO.lostFrom && n < SCENARIO.lostTo) continue;
      yield { sequenceNumber: n, timestamp: (ts0 + n * 960) >>> 0, payload: callerPackets[n]! };
    }
  }
  const player = new OutboundPlayer();
  const media = scriptedCallMedia({
    arrivals,
    sendOpus: (payload) => trace.sent.push(payload),
    player,
    scheduler,
    tap: rec,
  });
  media.start(); // tick 0
  for (let tick = 1; tick < SCENARIO.frames; tick++) {
    if (tick === SCENARIO.agentFrom) {
      player.enqueue(
        sine(SCENARIO.agentHz, 24000, 480 * SCENARIO.agentQueuedFrames, 8000),
        "item_1",
      );
    }
    if (tick === SCENARIO.bargeInAt) player.flush();
    const voiced = player.voicedFrames;
    scheduler.advance(20);
    if (player.voicedFrames > voiced) trace.voicedFrames.push(tick);
  }
  media.stop();
  await rec.close();
  return trace;
}

/** Per 20 ms frame of 24 kHz PCM: power of `hz` and the frame's mean square. */
export function framePowers(pcm: Int16Array, hz: number): Array<{ tone: number; total: number }> {
  const out: Array<{ tone: number; total: number }> = [];
  for (let at = 0; at + 480 <= pcm.length; at += 480) {
    const f = pcm.subarray(at, at + 480);
    let sum = 0;
    for (const s of f) sum += s * s;
    out.push({ tone: goertzelPower(f, 24000, hz), total: sum / 480 });
  }
  return out;
}

/** Decodes mono 24 kHz Opus packets in order (a test helper). */
export function decodeAll(packets: Uint8Array[]): Int16Array[] {
  const d = new OpusDecoder();
  const out = packets.map((p) => {
    const pcm = d.decode(p);
    if (!(pcm instanceof Int16Array)) throw pcm;
    return pcm;
  });
  d.close();
  return out;
}

/** Decodes a stereo Ogg Opus file to per-channel 24 kHz PCM, dropping pre-skip. */
export function decodeStereoOgg(bytes: Uint8Array): { left: Int16Array; right: Int16Array } {
  const pages = readOggPages(bytes);
  assert.ok(pages.every((p) => p.crcOk), "every page's CRC");
  const head = pages[0]!.packets[0]!;
  assert.equal(new TextDecoder().decode(head.subarray(0, 8)), "OpusHead");
  assert.equal(head[9], 2);
  const preSkip24 = new DataView(head.buffer, head.byteOffset).getUint16(10, true) / 2;
  const uncoupled = head[18] === 1;
  if (uncoupled) assert.deepEqual([...head.subarray(19, 23)], [2, 0, 0, 1]);
  const stereo = new Decoder({ channels: 2, sample_rate: 24000 });
  const mono = [new OpusDecoder(), new OpusDecoder()];
  const l: number[] = [];
  const r: number[] = [];
  for (const page of pages.slice(2)) {
    for (const pkt of page.packets) {
      if (uncoupled) {
        const [a, b] = splitMultistream(pkt, 2)!;
        const pa = mono[0]!.decode(a!);
        const pb = mono[1]!.decode(b!);
        if (!(pa instanceof Int16Array) || !(pb instanceof Int16Array)) {
          throw new Error("bad packet");
        }
        assert.equal(pa.length, pb.length);
        l.push(...pa);
        r.push(...pb);
        continue;
      }
      const out = stereo.decode(pkt);
      const s = new Int16Array(out.buffer, out.byteOffset, out.byteLength / 2);
      for (let i = 0; i < s.length; i += 2) {
        l.push(s[i]!);
        r.push(s[i + 1]!);
      }
    }
  }
  const total = (pages.at(-1)!.granule / 2) - preSkip24;
  const n = Math.min(l.length - preSkip24, total);
  return {
    left: Int16Array.from(l.slice(preSkip24, preSkip24 + n)),
    right: Int16Array.from(r.slice(preSkip24, preSkip24 + n)),
  };
}
