/**
 * The per-call raw recording: the Opus payloads of both sides exactly as they
 * crossed the wire, appended as they come, with their place on the call's
 * media clock. Nothing is decoded or encoded on the media path; the stereo
 * file is rendered from this at the end of the call (stereo_render.ts).
 *
 * Format (all integers big-endian), version 1:
 *
 *   file    = magic "WAREC001" · u32 headerLength · header (UTF-8 JSON) · record*
 *   record  = u8 side · u32 frame · u32 rtpTimestamp · u16 length · payload[length]
 *
 * `side` 0 is the caller (a received payload; `frame` is the agent's media
 * frame at arrival, `rtpTimestamp` the caller's), 1 the agent (a sent payload;
 * `frame` is its media frame, `rtpTimestamp` the one it went out with). The
 * header is `{ "version": 1, "callId": …, "startedAt": ISO-8601, "frameMs": 20 }`.
 *
 * Records reach the disk in batches at most ~1 s apart, so a bridge that dies
 * mid-call leaves a file whose complete records still render; a torn last
 * record is ignored by the reader. Memory is bounded: past `maxBufferedBytes`
 * of unwritten records (a disk that stopped keeping up) records are dropped
 * and counted, never allowed to grow the heap or hold up a frame.
 *
 * @module
 */
import { z } from "zod";

/** First bytes of a raw recording. */
export const RAW_MAGIC = new TextEncoder().encode("WAREC001");
/** Bytes of a record before its payload. */
export const RECORD_HEADER_BYTES = 11;

/** Which side of the call a payload belongs to. */
export const Side = { Caller: 0, Agent: 1 } as const;
/** 0 = caller, 1 = agent. */
export type Side = (typeof Side)[keyof typeof Side];

/** One payload as stored. */
export interface RawRecord {
  side: Side;
  frame: number;
  rtpTimestamp: number;
  payload: Uint8Array;
}

const headerSchema = z.object({
  version: z.literal(1),
  callId: z.string(),
  startedAt: z.string(),
  frameMs: z.literal(20),
});

/** The JSON header of a raw recording. */
export type RawHeader = z.infer<typeof headerSchema>;

/** Where a writer puts its bytes: a file in production, memory in tests. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
}

/** Options for {@linkcode RawRecordingWriter}. */
export interface RawWriterOptions {
  /** Unwritten bytes past which records are dropped. @default 1 MiB (minutes of audio) */
  maxBufferedBytes?: number;
  /** Writes are batched until this many bytes or `flushMs`. @default 16384 */
  flushBytes?: number;
  /** @default 1000 */
  flushMs?: number;
  /** Time source for `flushMs`. @default performance.now */
  now?: () => number;
}

/** Appends records to a sink in batches; see the module doc. */
export class RawRecordingWriter {
  /** Records dropped because the sink fell behind by `maxBufferedBytes`. */
  dropped = 0;
  /** Bytes handed to the sink so far (header included). */
  written = 0;
  #sink: Promise<ByteSink>;
  #buf: Uint8Array;
  #used = 0;
  #max: number;
  #flushBytes: number;
  #flushMs: number;
  #now: () => number;
  #lastFlush: number;
  #writing: Promise<void> = Promise.resolve();
  #inFlight = 0;
  #closed = false;

  /** Starts a recording: the header is the first thing written. */
  constructor(sink: ByteSink | Promise<ByteSink>, header: RawHeader, opts: RawWriterOptions = {}) {
    this.#sink = Promise.resolve(sink);
    this.#max = opts.maxBufferedBytes ?? 1 << 20;
    this.#flushBytes = opts.flushBytes ?? 16384;
    this.#flushMs = opts.flushMs ?? 1000;
    this.#now = opts.now ?? (() => performance.now());
    this.#lastFlush = this.#now();
    this.#buf = new Uint8Array(Math.min(this.#max, 4 * this.#flushBytes));
    const json = new TextEncoder().encode(JSON.stringify(headerSchema.parse(header)));
    const head = new Uint8Array(RAW_MAGIC.length + 4 + json.length);
    head.set(RAW_MAGIC);
    new DataView(head.buffer).setUint32(RAW_MAGIC.length, json.length);
    head.set(json, RAW_MAGIC.length + 4);
    this.#append(head);
    this.#flush();
  }

  /** Appends one payload (copied); cheap: a copy into a buffer, a write every ~1 s. */
  add(side: Side, frame: number, rtpTimestamp: number, payload: Uint8Array): void {
    if (this.#closed) return;
    const need = RECORD_HEADER_BYTES + payload.length;
    if (this.#inFlight + this.#used + need > this.#max || payload.length > 0xffff) {
      this.dropped++;
      return;
    }
    const at = this.#reserve(need);
    const b = this.#buf;
    b[at] = side;
    b[at + 1] = frame >>> 24;
    b[at + 2] = frame >>> 16;
    b[at + 3] = frame >>> 8;
    b[at + 4] = frame;
    b[at + 5] = rtpTimestamp >>> 24;
    b[at + 6] = rtpTimestamp >>> 16;
    b[at + 7] = rtpTimestamp >>> 8;
    b[at + 8] = rtpTimestamp;
    b[at + 9] = payload.length >>> 8;
    b[at + 10] = payload.length;
    b.set(payload, at + RECORD_HEADER_BYTES);
    if (this.#used >= this.#flushBytes || this.#now() - this.#lastFlush >= this.#flushMs) {
      this.#flush();
    }
  }

  /** Writes what is buffered and closes the sink; resolves when all is on disk. */
  async close(): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#flush();
    this.#closed = true;
    await this.#writing;
    (await this.#sink).close();
  }

  #append(bytes: Uint8Array): void {
    this.#buf.set(bytes, this.#reserve(bytes.length));
  }

  #reserve(n: number): number {
    if (this.#used + n > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#used + n));
      grown.set(this.#buf.subarray(0, this.#used));
      this.#buf = grown;
    }
    const at = this.#used;
    this.#used += n;
    return at;
  }

  #flush(): void {
    this.#lastFlush = this.#now();
    if (this.#used === 0) return;
    const chunk = this.#buf.slice(0, this.#used);
    this.#used = 0;
    this.#inFlight += chunk.length;
    // One write at a time, in order; a failed write loses its batch, not the call.
    this.#writing = this.#writing.then(async () => {
      try {
        const sink = await this.#sink;
        for (let off = 0; off < chunk.length;) off += await sink.write(chunk.subarray(off));
        this.written += chunk.length;
      } catch {
        this.dropped++;
      } finally {
        this.#inFlight -= chunk.length;
      }
    });
  }
}

/** A raw recording read back. */
export interface RawRecording {
  header: RawHeader;
  records: RawRecord[];
  /** True when the file ended inside a record (a crash mid-write). */
  truncated: boolean;
}

/** Parses a raw recording; a torn last record is dropped, a bad header is an error. */
export function readRawRecording(bytes: Uint8Array): RawRecording {
  const magicOk = bytes.length >= RAW_MAGIC.length + 4 &&
    RAW_MAGIC.every((b, i) => bytes[i] === b);
  if (!magicOk) throw new Error("not a raw recording (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(RAW_MAGIC.length);
  let at = RAW_MAGIC.length + 4 + headerLength;
  if (at > bytes.length) throw new Error("raw recording header is cut short");
  const header = headerSchema.parse(
    JSON.parse(new TextDecoder().decode(bytes.subarray(RAW_MAGIC.length + 4, at))),
  );
  const records: RawRecord[] = [];
  let truncated = false;
  while (at < bytes.length) {
    if (at + RECORD_HEADER_BYTES > bytes.length) {
      truncated = true;
      break;
    }
    const length = view.getUint16(at + 9);
    const end = at + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) {
      truncated = true;
      break;
    }
    const side = bytes[at]!;
    if (side !== Side.Caller && side !== Side.Agent) throw new Error(`bad side ${side} at ${at}`);
    records.push({
      side,
      frame: view.getUint32(at + 1),
      rtpTimestamp: view.getUint32(at + 5),
      payload: bytes.subarray(at + RECORD_HEADER_BYTES, end),
    });
    at = end;
  }
  return { header, records, truncated };
}
