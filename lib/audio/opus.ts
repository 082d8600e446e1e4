/**
 * Opus for the WhatsApp leg: 24 kHz mono PCM (OpenAI Realtime's rate) in 20 ms
 * frames, carried on RTP with the 48 kHz Opus clock (RFC 7587).
 *
 * Encoding goes through `@evan/opus`'s `Encoder`, which loads libopus as a
 * native Node-API addon where it can (it does under Deno with `--allow-ffi`
 * / `-A`, and encodes about twice as fast as wasm there) and falls back to its
 * wasm build otherwise.
 *
 * Decoding calls libopus's `opus_decode` in `@evan/opus`'s own wasm build
 * directly. Neither of that package's `Decoder`s can conceal a lost frame:
 * both hard-wire `decode_fec = 0`, the native one rejects an empty packet, and
 * the wasm one turns an empty packet into 240 ms of concealment. Loss
 * concealment needs `opus_decode(st, next, len, pcm, 480, 1)` (in-band FEC) and
 * `opus_decode(st, NULL, 0, pcm, 480, 0)` (PLC), so this module instantiates the
 * package's wasm itself (fetched from its `file:` URL at import, so importing
 * this module needs read access to the npm cache and top-level await);
 * decoding in wasm costs about the same as native, ~12–25 µs per frame.
 *
 * Ownership: every returned array (packet or PCM) is fresh and belongs to the
 * caller; inputs are only read (copied into the codec's memory).
 *
 * Threads: the native addon encodes through one buffer shared by the whole
 * process, so two threads encoding at once corrupt each other's packets (in a
 * test, 145 of 150 one-second tones came out as noise). The bridge encodes on
 * its main thread only. `deno test --parallel` runs test modules as threads of
 * one process, so `deno task test` sets `OPUS_FORCE_WASM=1` (a wasm instance
 * per thread), and `opus_test.ts` checks the native build in a child process.
 *
 * @module
 */

import { Encoder } from "@evan/opus";

/** PCM sample rate on both sides of the codec. */
export const OPUS_PCM_RATE = 24000;
/** Frame duration. */
export const FRAME_MS = 20;
/** Samples per frame at {@link OPUS_PCM_RATE}. */
export const FRAME_SAMPLES = 480;
/** RTP timestamp clock for Opus, whatever the PCM rate (RFC 7587 §4.1). */
export const RTP_CLOCK_RATE = 48000;
/** RTP timestamp increment per 20 ms frame. */
export const RTP_TICKS_PER_FRAME = 960;

/** Largest decoded packet: 120 ms at 24 kHz. */
const MAX_DECODED_SAMPLES = 2880;
/** Largest Opus packet a decoder accepts (RFC 6716 allows up to 3·1275 + 7 bytes). */
export const MAX_PACKET_BYTES = 4000;

/** Options for {@link OpusEncoder}. */
export interface OpusEncoderOptions {
  /**
   * Target bitrate in bit/s. Default 20000: WhatsApp's offer says
   * `maxaveragebitrate=20000`, which RFC 7587 asks senders to respect, and that
   * is enough for voice with FEC. At 20 kbit/s and 10 % expected loss libopus
   * narrows the coded audio band (wideband → mediumband or narrowband) to
   * afford the FEC copy; ~24 kbit/s keeps wideband with FEC where the peer
   * allows it.
   */
  bitrate?: number;
  /** In-band forward error correction (LBRR), default on (`useinbandfec=1`). */
  fec?: boolean;
  /** Packet loss the encoder provisions FEC for, 0–100, default 10. */
  expectedLossPct?: number;
  /**
   * libopus complexity 0–10, default 2: the cheapest setting that can still
   * afford FEC at 20 kbit/s (below 2, libopus discounts the bitrate by 20 % when
   * deciding FEC, and 20 kbit/s then carries no FEC at all). Encoding costs
   * ~60–85 µs per frame at 2 and ~2.5× that at 10.
   */
  complexity?: number;
}

/** A VoIP-tuned mono Opus encoder for 20 ms frames of 24 kHz PCM. */
export class OpusEncoder {
  readonly #enc: Encoder;

  /** Creates an encoder; see {@link OpusEncoderOptions} for the defaults. */
  constructor(opts: OpusEncoderOptions = {}) {
    const enc = new Encoder({ channels: 1, sample_rate: OPUS_PCM_RATE, application: "voip" });
    enc.signal = "voice";
    // WhatsApp offers maxplaybackrate=16000: coding above 8 kHz would be wasted.
    enc.max_bandwidth = "wideband";
    enc.bitrate = opts.bitrate ?? 20000;
    enc.vbr_constraint = true; // keep the average at the cap, not above it
    enc.inband_fec = opts.fec ?? true;
    enc.packet_loss = opts.expectedLossPct ?? 10;
    enc.complexity = Math.max(0, Math.min(10, Math.round(opts.complexity ?? 2))) as 0;
    enc.dtx = false; // WhatsApp drops calls on silent RTP; keep sending real frames
    this.#enc = enc;
  }

  /** Encodes exactly {@link FRAME_SAMPLES} samples; returns a fresh packet. */
  encode(frame: Int16Array): Uint8Array {
    if (frame.length !== FRAME_SAMPLES) {
      throw new RangeError(`Opus frames are ${FRAME_SAMPLES} samples, got ${frame.length}`);
    }
    return this.#enc.encode(frame);
  }
}

let silence: Uint8Array | undefined;

/**
 * A steady-state Opus packet of 20 ms digital silence, from the same encoder
 * settings. Sending it while the agent is quiet keeps RTP flowing (WhatsApp
 * drops calls without media) at no encoding cost. Shared: do not modify.
 */
export function opusSilencePacket(): Uint8Array {
  if (!silence) {
    const enc = new OpusEncoder();
    const zeros = new Int16Array(FRAME_SAMPLES);
    // The first frames still carry the encoder's start-up; the tenth is steady.
    for (let i = 0; i < 10; i++) silence = enc.encode(zeros);
  }
  return silence!;
}

/** libopus error codes (`opus_defines.h`). */
const OPUS_ERRORS: Record<number, string> = {
  [-1]: "bad-arg",
  [-2]: "buffer-too-small",
  [-3]: "internal-error",
  [-4]: "invalid-packet",
  [-5]: "unimplemented",
  [-6]: "invalid-state",
  [-7]: "alloc-fail",
};

/** Why a payload could not be decoded. */
export type OpusDecodeErrorKind = "empty-packet" | "packet-too-large" | "libopus";

/** A typed, returned (not thrown) decoding failure; conceal with `decodeLost()`. */
export class OpusDecodeError extends Error {
  /** Which check failed. */
  readonly kind: OpusDecodeErrorKind;
  /** libopus's negative error code when `kind` is `libopus`, else 0. */
  readonly code: number;

  /** Creates an error; `code` is libopus's, or 0. */
  constructor(kind: OpusDecodeErrorKind, code: number, message: string) {
    super(message);
    this.name = "OpusDecodeError";
    this.kind = kind;
    this.code = code;
  }
}

interface OpusWasm {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(st: number, fs: number, channels: number): number;
  opus_decode(
    st: number,
    data: number,
    len: number,
    pcm: number,
    frameSize: number,
    decodeFec: number,
  ): number;
}

/** The shared libopus wasm instance with scratch buffers for one packet in and one frame out. */
class Codec {
  readonly wasm: OpusWasm;
  readonly packetPtr: number;
  readonly pcmPtr: number;
  #u8: Uint8Array;
  #i16: Int16Array;

  constructor(module: WebAssembly.Module) {
    const noop = () => 0;
    const instance = new WebAssembly.Instance(module, {
      wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
      // Views are refreshed lazily in put/take instead.
      env: { emscripten_notify_memory_growth: noop },
    });
    this.wasm = instance.exports as unknown as OpusWasm;
    this.packetPtr = this.wasm.malloc(MAX_PACKET_BYTES);
    this.pcmPtr = this.wasm.malloc(MAX_DECODED_SAMPLES * 2);
    this.#u8 = new Uint8Array(this.wasm.memory.buffer);
    this.#i16 = new Int16Array(this.wasm.memory.buffer);
  }

  /** Re-creates the views after `malloc` grew (and so replaced) the memory's buffer. */
  #fresh(): void {
    if (this.#u8.buffer === this.wasm.memory.buffer) return;
    this.#u8 = new Uint8Array(this.wasm.memory.buffer);
    this.#i16 = new Int16Array(this.wasm.memory.buffer);
  }

  /** Copies a packet into wasm memory. */
  put(packet: Uint8Array): void {
    this.#fresh();
    this.#u8.set(packet, this.packetPtr);
  }

  /** A fresh copy of `samples` decoded samples. */
  take(samples: number): Int16Array {
    this.#fresh();
    const start = this.pcmPtr >> 1;
    return this.#i16.slice(start, start + samples);
  }
}

/** Picks the SIMD build when the runtime validates a minimal SIMD module, as `@evan/opus` does. */
const SIMD_PROBE = Uint8Array.of(
  ...[0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15],
  ...[26, 11],
);
const wasmUrl = import.meta.resolve(
  WebAssembly.validate(SIMD_PROBE) ? "@evan/opus/wasm/simd.wasm" : "@evan/opus/wasm/opus.wasm",
);
const codec = new Codec(await WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer()));
const release = new FinalizationRegistry<number>((st) => codec.wasm.free(st));

/**
 * A mono Opus decoder to 24 kHz PCM with loss concealment. Hostile payloads
 * never throw: `decode` returns an {@link OpusDecodeError} instead.
 */
export class OpusDecoder {
  #st: number;

  /** Creates a decoder with its own libopus state. */
  constructor() {
    const st = codec.wasm.malloc(codec.wasm.opus_decoder_get_size(1));
    const rc = codec.wasm.opus_decoder_init(st, OPUS_PCM_RATE, 1);
    if (rc !== 0) {
      codec.wasm.free(st);
      throw new Error(`opus_decoder_init failed: ${OPUS_ERRORS[rc] ?? rc}`);
    }
    this.#st = st;
    release.register(this, st, this);
  }

  /**
   * Decodes one packet to a fresh array: {@link FRAME_SAMPLES} samples for a
   * 20 ms packet (more for longer packets). On error the decoder state is
   * unchanged except as libopus leaves it; call {@link decodeLost} to fill the gap.
   */
  decode(payload: Uint8Array): Int16Array | OpusDecodeError {
    const st = this.#state();
    if (payload.length === 0) return new OpusDecodeError("empty-packet", 0, "empty Opus payload");
    if (payload.length > MAX_PACKET_BYTES) {
      return new OpusDecodeError(
        "packet-too-large",
        0,
        `Opus payload of ${payload.length} bytes exceeds ${MAX_PACKET_BYTES}`,
      );
    }
    codec.put(payload);
    const n = codec.wasm.opus_decode(
      st,
      codec.packetPtr,
      payload.length,
      codec.pcmPtr,
      MAX_DECODED_SAMPLES,
      0,
    );
    if (n < 0) {
      return new OpusDecodeError("libopus", n, `opus_decode: ${OPUS_ERRORS[n] ?? n}`);
    }
    return codec.take(n);
  }

  /**
   * Conceals one lost 20 ms frame, returning {@link FRAME_SAMPLES} fresh samples.
   * Give the packet that followed the loss as `next` (then decode `next` itself
   * as usual): its in-band FEC, when present, rebuilds the lost frame; otherwise
   * (no `next`, no FEC in it, or `next` malformed) libopus extrapolates (PLC).
   */
  decodeLost(next?: Uint8Array): Int16Array {
    const st = this.#state();
    if (next !== undefined && next.length > 0 && next.length <= MAX_PACKET_BYTES) {
      codec.put(next);
      const n = codec.wasm.opus_decode(
        st,
        codec.packetPtr,
        next.length,
        codec.pcmPtr,
        FRAME_SAMPLES,
        1,
      );
      if (n === FRAME_SAMPLES) return codec.take(n);
    }
    const n = codec.wasm.opus_decode(st, 0, 0, codec.pcmPtr, FRAME_SAMPLES, 0);
    // PLC of a whole 2.5 ms multiple cannot fail on a live state.
    if (n !== FRAME_SAMPLES) throw new Error(`opus PLC returned ${n}`);
    return codec.take(n);
  }

  /** Frees the libopus state now instead of at garbage collection; the decoder is unusable after. */
  close(): void {
    if (this.#st === 0) return;
    release.unregister(this);
    codec.wasm.free(this.#st);
    this.#st = 0;
  }

  #state(): number {
    if (this.#st === 0) throw new Error("OpusDecoder used after close()");
    return this.#st;
  }
}
