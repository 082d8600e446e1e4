/**
 * The fallback render: decode both sides, then encode one coupled stereo
 * Opus stream (40 kbit/s, CELT only, ~0.3 MB per minute). Used when a side
 * carried packets other than 20 ms, which cannot share a multistream packet
 * with the other side's (stereo_render.ts). Costs ~0.3 s CPU per call minute,
 * in slices that yield to the event loop, so live calls' ticks never wait long.
 *
 * @module
 */
import { Encoder } from "@evan/opus";
import { FRAME_SAMPLES, OPUS_PCM_RATE, OpusDecoder } from "../../lib/audio/opus.ts";
import { OGG_OPUS_GRANULE_RATE, OggOpusWriter } from "./ogg_opus_writer.ts";
import type { PlacedPayload, RenderResult, StereoJob } from "./stereo_render.ts";
import { SlicedPages } from "./sliced_pages.ts";

/** Stereo bitrate of the transcoded file. */
export const TRANSCODE_BITRATE = 40000;
const TICKS = 960;

/** One side's PCM, frame by frame; a frame without a payload is silence. */
class SideDecoder {
  #decoder = new OpusDecoder();
  #placed: PlacedPayload[];
  #next = 0;
  #carry: Int16Array | undefined;

  constructor(placed: PlacedPayload[]) {
    this.#placed = placed;
  }

  /** PCM of media frame `frame` (called with 0, 1, 2, … in order). */
  frame(frame: number): Int16Array | undefined {
    const p = this.#placed[this.#next];
    if (p !== undefined && p.frame === frame) {
      this.#next++;
      const pcm = this.#decoder.decode(p.payload);
      if (pcm instanceof Int16Array) {
        // A packet longer than 20 ms spills into the frames after it.
        this.#carry = pcm.length > FRAME_SAMPLES ? pcm.subarray(FRAME_SAMPLES) : undefined;
        return pcm.subarray(0, FRAME_SAMPLES);
      }
      return undefined;
    }
    if (this.#carry !== undefined) {
      const pcm = this.#carry.subarray(0, FRAME_SAMPLES);
      this.#carry = this.#carry.length > FRAME_SAMPLES
        ? this.#carry.subarray(FRAME_SAMPLES)
        : undefined;
      return pcm;
    }
    return undefined;
  }

  close(): void {
    this.#decoder.close();
  }
}

/** Decodes both sides and encodes them as one stereo stream; see the module doc. */
export async function transcodeStereo(
  { caller, agent, frames, write, yieldEvery }: StereoJob,
): Promise<RenderResult> {
  const encoder = stereoEncoder();
  const preSkip = lookahead(encoder) * (OGG_OPUS_GRANULE_RATE / OPUS_PCM_RATE);
  const ogg = new OggOpusWriter({ channels: 2, preSkip, inputSampleRate: OPUS_PCM_RATE });
  const left = new SideDecoder(caller);
  const right = new SideDecoder(agent);
  const stereo = new Int16Array(FRAME_SAMPLES * 2);
  const out = new SlicedPages(ogg, write, yieldEvery);
  try {
    // One frame of padding at the end carries the encoder's lookahead out.
    for (let f = 0; f <= frames; f++) {
      interleave(
        stereo,
        f < frames ? left.frame(f) : undefined,
        f < frames ? right.frame(f) : undefined,
      );
      ogg.addPacket(
        encoder.encode(stereo),
        FRAME_SAMPLES * (OGG_OPUS_GRANULE_RATE / OPUS_PCM_RATE),
      );
      if (out.endsSlice(f)) await out.handOff();
    }
    ogg.end(preSkip + frames * TICKS);
    await out.flush();
  } finally {
    left.close();
    right.close();
  }
  return { bytes: out.bytes, durationMs: frames * 20, frames };
}

function interleave(out: Int16Array, l: Int16Array | undefined, r: Int16Array | undefined): void {
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    out[2 * i] = l?.[i] ?? 0;
    out[2 * i + 1] = r?.[i] ?? 0;
  }
}

function stereoEncoder(): Encoder {
  // CELT only (restricted low delay): SILK's mid/side stereo at these rates let one side's
  // voice leak into the other at about -20 dB while that side was quiet; CELT keeps the
  // channels apart (the render test checks the silence of a lost stretch next to a talking agent).
  const enc = new Encoder({
    channels: 2,
    sample_rate: OPUS_PCM_RATE,
    application: "restricted_lowdelay",
  });
  enc.bitrate = TRANSCODE_BITRATE;
  enc.signal = "music";
  enc.complexity = 5;
  return enc;
}

/** OPUS_GET_LOOKAHEAD: the typings spell the getter `lookhead`, the code `lookahead`. */
function lookahead(encoder: Encoder): number {
  const n = encoder.ctl(4027);
  if (!Number.isInteger(n) || n < 0) throw new Error(`opus lookahead: ${n}`);
  return n;
}
