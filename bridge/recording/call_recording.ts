/**
 * One call's recording tap: CallMedia hands it every caller Opus payload it
 * receives and every Opus payload it sends, with RTP timestamps, and it
 * appends them to the raw file (raw_recording.ts) with their place on the
 * call's media clock. Per payload this costs a copy into a buffer.
 *
 * The media clock is the agent's RTP timeline: frame n is the n-th 20 ms
 * packet the bridge sent (skipped ticks advance it too, as they advance the
 * RTP timestamp). An agent payload's frame is exact. A caller payload is
 * stored with the frame during which it arrived and its own RTP timestamp; the
 * renderer (stereo_render.ts) places it by that timestamp, shifted by the
 * smallest arrival delay seen, so network jitter moves nothing and a lost
 * stretch stays a gap of the right length.
 *
 * The agent's cached silence packet (sent while it is quiet) is not stored:
 * a gap renders as silence anyway, and quiet stretches then cost nothing. An
 * empty agent record at `close()` marks the last frame, so the file lasts as
 * long as the call's media did.
 * What barge-in cut is simply never sent, so the recording has it as the caller
 * heard it.
 *
 * @module
 */
import type { MediaTap } from "../media/call_media.ts";
import { opusSilencePacket, RTP_TICKS_PER_FRAME } from "../../lib/audio/opus.ts";
import { type ByteSink, RawRecordingWriter, type RawWriterOptions, Side } from "./raw_recording.ts";

/** A recording in progress; `close()` when the call's media stopped. */
export class CallRecording implements MediaTap {
  readonly callId: string;
  /** Where the raw file lives (empty for a non-file sink). */
  readonly rawPath: string;
  #writer: RawRecordingWriter;
  #origin: number | undefined;
  #lastFrame = -1;
  #silence = opusSilencePacket();

  /** Starts recording into `sink` (see {@linkcode openRawFile}). */
  constructor(
    callId: string,
    sink: ByteSink | Promise<ByteSink>,
    rawPath = "",
    opts?: RawWriterOptions,
  ) {
    this.callId = callId;
    this.rawPath = rawPath;
    this.#writer = new RawRecordingWriter(sink, {
      version: 1,
      callId,
      startedAt: new Date().toISOString(),
      frameMs: 20,
    }, opts);
  }

  /** Records dropped because the disk fell behind. */
  get dropped(): number {
    return this.#writer.dropped;
  }

  /** The media frame of an agent RTP timestamp (the first packet sent is frame 0). */
  #frame(rtpTimestamp: number): number {
    this.#origin ??= rtpTimestamp;
    // Unsigned 32-bit difference: the timestamp wraps about every 24.9 h at 48 kHz.
    return Math.floor(((rtpTimestamp - this.#origin) >>> 0) / RTP_TICKS_PER_FRAME);
  }

  /** See {@linkcode MediaTap.callerPayload}. */
  callerPayload(payload: Uint8Array, rtpTimestamp: number, mediaTimestamp: number): void {
    if (this.#origin === undefined) return; // media not started: nothing to align to yet
    // The agent's next packet is frame k+1: this payload arrived while frame k played.
    const frame = Math.max(0, this.#frame(mediaTimestamp) - 1);
    this.#writer.add(Side.Caller, frame, rtpTimestamp >>> 0, payload);
  }

  /** See {@linkcode MediaTap.agentPayload}. */
  agentPayload(payload: Uint8Array, rtpTimestamp: number): void {
    const frame = this.#frame(rtpTimestamp);
    this.#lastFrame = frame;
    if (payload === this.#silence) return;
    this.#writer.add(Side.Agent, frame, rtpTimestamp >>> 0, payload);
  }

  /** Writes what is left; resolves once the raw file is complete and closed. */
  close(): Promise<void> {
    // An empty agent record marks where the media clock stopped: a quiet end still counts.
    if (this.#lastFrame >= 0) this.#writer.add(Side.Agent, this.#lastFrame, 0, new Uint8Array(0));
    return this.#writer.close();
  }
}

/** Opens (creating its folder) an append-only raw file as a {@linkcode ByteSink}. */
export async function openRawFile(path: string): Promise<ByteSink> {
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  return {
    write: (bytes) => file.write(bytes),
    close: () => file.close(),
  };
}
