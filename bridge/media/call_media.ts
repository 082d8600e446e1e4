/**
 * One call's media path, driven by one drift-free 20 ms clock:
 *
 *   caller → RTP → jitter buffer → Opus decode (FEC/PLC on loss) → agent
 *   agent  → OutboundPlayer → Opus encode → RTP (one SSRC, 48 kHz clock) → caller
 *
 * Each tick moves exactly one frame each way, so the caller always hears a
 * packet every 20 ms (silence when the agent is quiet) and the agent always
 * gets audio in order, with losses already concealed. DTMF (RFC 4733) skips
 * the jitter buffer: a digit is delivered as soon as it is seen.
 *
 * @module
 */
import {
  OpusDecoder,
  OpusEncoder,
  opusSilencePacket,
  RTP_TICKS_PER_FRAME,
} from "../../lib/audio/opus.ts";
import { JitterBuffer } from "../../lib/rtp/jitter_buffer.ts";
import { DtmfDetector } from "../../lib/rtp/dtmf.ts";
import {
  FrameClock,
  realScheduler,
  type Scheduler,
  type SharedFrameClock,
  type Tick,
} from "./frame_clock.ts";
import { LatencyHistogram } from "./latency_histogram.ts";
import type { OutboundPlayer } from "./outbound_player.ts";
import { type CallLevels, LevelWindow, meanSquare } from "../live/audio_level.ts";

/** Quiet frames still run through the encoder before cached silence takes over. */
const SILENCE_AFTER_FRAMES = 3;

/** The RTP side of a call: werift in production, a plain object in tests. */
export interface MediaPort {
  sendOpus(payload: Uint8Array, sequenceNumber: number, timestamp: number, marker: boolean): void;
  onRtp(
    listener: (p: {
      payloadType: number;
      sequenceNumber: number;
      timestamp: number;
      marker: boolean;
      payload: Uint8Array;
    }) => void,
  ): void;
  /**
   * Optional: with `true`, the port stops reading its sockets as datagrams
   * come and leaves that to {@linkcode pollRtp} at each tick; `false` hands
   * reading back.
   */
  receiveOnTicks?(on: boolean): void;
  /** Delivers (to `onRtp`) whatever arrived since the last tick. */
  pollRtp?(): void;
}

/** Where the caller's audio goes (the agent). */
export interface CallerSink {
  pushAudio(frame: Int16Array): void;
  pushDtmf(digit: string): void;
}

/** Per-frame timing, shared by every call of a process for `/metrics`. */
export interface MediaHistograms {
  /** Processing time per frame, caller → agent (jitter pop + decode + agent push). */
  inboundMs: LatencyHistogram;
  /** Processing time per frame, agent → caller (frame + encode + send). */
  outboundMs: LatencyHistogram;
  /** How late each tick ran against its drift-free schedule (includes a call's fixed phase offset). */
  pacingLateMs: LatencyHistogram;
  /**
   * |send interval − 20 ms| of consecutive packets: the jitter the caller's
   * playout sees. A fixed phase offset (a call's place in the shared pass) is not jitter.
   */
  sendIntervalDeviationMs: LatencyHistogram;
}

/** Empty histograms with the layout `/metrics` expects. */
export function newMediaHistograms(): MediaHistograms {
  return {
    inboundMs: new LatencyHistogram(50, 0.01),
    outboundMs: new LatencyHistogram(50, 0.01),
    pacingLateMs: new LatencyHistogram(200, 0.05),
    sendIntervalDeviationMs: new LatencyHistogram(200, 0.05),
  };
}

/** Options for {@linkcode CallMedia}. */
export interface CallMediaOptions {
  port: MediaPort;
  sink: CallerSink;
  player: OutboundPlayer;
  opusPayloadType: number;
  telephoneEventPayloadType: number;
  scheduler?: Scheduler;
  /** Called once, right after the first packet went out. */
  onFirstPacketSent?: () => void;
  /** Called once, when the first decoded caller frame reached the agent. */
  onFirstCallerAudio?: () => void;
  /**
   * Called once if no caller packet has arrived this long after media started:
   * the telltale of a one-way call (UDP blocked, or DTLS keys that disagree).
   */
  onNoCallerMedia?: (afterMs: number) => void;
  /** @default 5000 */
  noCallerMediaAfterMs?: number;
  /** RMS above which a caller frame counts as voice (for the silence timeout). @default 300 */
  voiceRms?: number;
  /** Where frame timings go. @default fresh histograms for this call */
  histograms?: MediaHistograms;
  /** The process's shared 20 ms clock; absent: this call runs its own (on `scheduler`). */
  clock?: SharedFrameClock;
  /**
   * Called once if a tick throws (an encoder or socket fault): media has
   * stopped and the call should end; without it the error propagates to the clock.
   */
  onFailure?: (error: unknown) => void;
  /** Sees every Opus payload both ways, as on the wire (call recording; bridge/recording/). */
  tap?: MediaTap | undefined;
}

/**
 * A listener to both directions' encoded Opus: the caller's payloads as they
 * arrive, the agent's as they leave. It must be cheap (it runs inside the tick)
 * and must not keep the arrays past the call (copy them).
 */
export interface MediaTap {
  /** A caller payload arrived; `mediaTimestamp` is the RTP timestamp of our next packet. */
  callerPayload(payload: Uint8Array, rtpTimestamp: number, mediaTimestamp: number): void;
  /** A payload went to the caller with `rtpTimestamp`. */
  agentPayload(payload: Uint8Array, rtpTimestamp: number): void;
}

/** Counters and timing of one call's media. */
export interface MediaStats {
  packetsSent: number;
  packetsReceived: number;
  framesToAgent: number;
  framesConcealed: number;
  lost: number;
  late: number;
  duplicates: number;
  dtmfDigits: number;
  badPackets: number;
  jitterMs: number;
  jitterTargetMs: number;
  /** Ticks the clock skipped after an event-loop stall. */
  skippedTicks: number;
}

/** The media path of one call; see the module doc. */
export class CallMedia {
  /** Frame timings (shared with the process when the manager passes its own). */
  readonly histograms: MediaHistograms;
  /** Scheduler time of the last caller frame with voice energy. */
  lastVoiceAt: number;
  /** Each side's loudness, frame by frame, for the live view (bridge/live/). */
  readonly levels: CallLevels = { caller: new LevelWindow(), agent: new LevelWindow() };

  #opts: CallMediaOptions;
  #scheduler: Scheduler;
  #clock: FrameClock | undefined;
  #leave: (() => void) | undefined;
  #running = false;
  #frames = 0;
  #lastSentAt: number | undefined;
  #jitter = new JitterBuffer({ clockRate: 48000, frameTicks: RTP_TICKS_PER_FRAME });
  #dtmf = new DtmfDetector();
  #encoder = new OpusEncoder();
  #decoder = new OpusDecoder();
  #seq = randomUint(16);
  #timestamp = randomUint(32);
  #sentFirst = false;
  #heardFirst = false;
  #warnedSilent = false;
  #stats = {
    packetsSent: 0,
    packetsReceived: 0,
    framesToAgent: 0,
    framesConcealed: 0,
    dtmfDigits: 0,
    badPackets: 0,
    skippedTicks: 0,
  };
  #voiceRmsSquared: number;

  /** Wires the port's RTP into the path; nothing is sent until `start()`. */
  constructor(options: CallMediaOptions) {
    this.#opts = options;
    this.histograms = options.histograms ?? newMediaHistograms();
    this.#scheduler = options.clock?.scheduler ?? options.scheduler ?? realScheduler;
    if (!options.clock) {
      this.#clock = new FrameClock((t) => this.#guardedTick(t), { scheduler: this.#scheduler });
    }
    this.#voiceRmsSquared = (options.voiceRms ?? 300) ** 2;
    this.lastVoiceAt = this.#scheduler.now();
    options.port.onRtp((p) => this.#onRtp(p));
  }

  /** Starts both directions; the first packet goes out synchronously, now. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#opts.port.receiveOnTicks?.(true);
    const now = this.#scheduler.now();
    this.lastVoiceAt = now;
    if (this.#clock) {
      this.#clock.start();
      return;
    }
    // The first packet cannot wait for the shared clock's next tick.
    this.#guardedTick({ index: 0, dueAt: now, lateMs: 0, skipped: 0 });
    if (this.#running) this.#leave = this.#opts.clock!.join((tick) => this.#guardedTick(tick));
  }

  /** Stops the clock and frees the decoder; nothing more is sent or delivered. */
  stop(): void {
    if (this.#running) this.#opts.port.receiveOnTicks?.(false);
    this.#running = false;
    this.#clock?.stop();
    this.#leave?.();
    this.#leave = undefined;
    this.#decoder.close();
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#running;
  }

  /** A snapshot of the counters. */
  stats(): MediaStats {
    const j = this.#jitter.stats;
    return {
      ...this.#stats,
      lost: j.lost,
      late: j.late,
      duplicates: j.duplicates,
      jitterMs: j.jitterMs,
      jitterTargetMs: j.targetDelayMs,
    };
  }

  #onRtp(p: Parameters<Parameters<MediaPort["onRtp"]>[0]>[0]): void {
    this.#stats.packetsReceived++;
    if (!this.#running) return;
    if (p.payloadType === this.#opts.opusPayloadType) {
      this.#jitter.push(p, this.#scheduler.now());
      this.#opts.tap?.callerPayload(p.payload, p.timestamp, this.#timestamp);
    } else if (p.payloadType === this.#opts.telephoneEventPayloadType) {
      const press = this.#dtmf.push(p);
      if (press !== null) {
        this.#stats.dtmfDigits++;
        this.#opts.sink.pushDtmf(press.digit);
      }
    } else {
      this.#stats.badPackets++;
    }
  }

  #guardedTick(tick: Tick): void {
    const onFailure = this.#opts.onFailure;
    if (onFailure === undefined) return this.#tick(tick);
    try {
      this.#tick(tick);
    } catch (error) {
      // A call whose media faults is ended by its owner, never left ticking into the same fault.
      this.stop();
      onFailure(error);
    }
  }

  #tick(tick: Tick): void {
    // Measured here, not at the tick's start: on a shared clock this call may run later in the pass.
    const now = this.#scheduler.now();
    this.histograms.pacingLateMs.record(Math.max(0, now - tick.dueAt));
    this.#frames++;
    if (!this.#heardFirst && !this.#warnedSilent && this.#stats.packetsReceived === 0) {
      const afterMs = this.#frames * 20;
      if (afterMs >= (this.#opts.noCallerMediaAfterMs ?? 5000)) {
        this.#warnedSilent = true;
        this.#opts.onNoCallerMedia?.(afterMs);
      }
    }
    if (tick.skipped > 0) {
      // Keep the RTP clock in step with wall time so the far end's playout stays aligned.
      this.#stats.skippedTicks += tick.skipped;
      this.#timestamp = (this.#timestamp + tick.skipped * RTP_TICKS_PER_FRAME) >>> 0;
    }
    this.#sendFrame(now);
    // What arrived since the last tick reaches the jitter buffer before this tick's frame leaves it.
    this.#opts.port.pollRtp?.();
    this.#receiveFrame(now);
  }

  #sendFrame(sentAt: number): void {
    const t0 = performance.now();
    if (this.#lastSentAt !== undefined) {
      this.histograms.sendIntervalDeviationMs.record(Math.abs(sentAt - this.#lastSentAt - 20));
    }
    this.#lastSentAt = sentAt;
    const player = this.#opts.player;
    const frame = player.nextFrame();
    // A silent frame is all zeros: its level needs no arithmetic.
    this.levels.agent.add(player.silentRun > 0 ? 0 : meanSquare(frame));
    // Once the agent has been quiet a few frames (the next packet carries the
    // last word's FEC), a cached silence packet costs nothing to encode.
    const payload = player.silentRun > SILENCE_AFTER_FRAMES
      ? opusSilencePacket()
      : this.#encoder.encode(frame);
    const marker = !this.#sentFirst;
    this.#opts.port.sendOpus(payload, this.#seq, this.#timestamp, marker);
    this.#opts.tap?.agentPayload(payload, this.#timestamp);
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + RTP_TICKS_PER_FRAME) >>> 0;
    this.#stats.packetsSent++;
    this.histograms.outboundMs.record(performance.now() - t0);
    if (marker) {
      this.#sentFirst = true;
      this.#opts.onFirstPacketSent?.();
    }
  }

  #receiveFrame(now: number): void {
    const t0 = performance.now();
    const out = this.#jitter.pop(now);
    let pcm: Int16Array;
    if (out.kind === "frame") {
      const decoded = this.#decoder.decode(out.payload);
      if (decoded instanceof Int16Array) {
        pcm = decoded;
      } else {
        // A corrupt payload is concealed like a lost one; the call goes on.
        this.#stats.badPackets++;
        this.#stats.framesConcealed++;
        pcm = this.#decoder.decodeLost();
      }
    } else if (out.kind === "lost") {
      pcm = this.#decoder.decodeLost(out.next ?? undefined);
      this.#stats.framesConcealed++;
    } else {
      return;
    }
    const energy = meanSquare(pcm);
    if (energy >= this.#voiceRmsSquared) this.lastVoiceAt = now;
    this.levels.caller.add(energy);
    this.#opts.sink.pushAudio(pcm);
    this.#stats.framesToAgent++;
    this.histograms.inboundMs.record(performance.now() - t0);
    if (!this.#heardFirst) {
      this.#heardFirst = true;
      this.#opts.onFirstCallerAudio?.();
    }
  }
}

function randomUint(bits: 16 | 32): number {
  const v = crypto.getRandomValues(new Uint32Array(1))[0]!;
  return bits === 16 ? v & 0xffff : v >>> 0;
}
