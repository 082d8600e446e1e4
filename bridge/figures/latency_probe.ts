/**
 * Where a call's turn latency is measured: taps on its media path (each
 * caller frame delivered to the agent, each frame sent on the wire and the
 * agent audio it carried) feeding a {@linkcode TurnLatencyTracker}, which
 * each measured figure leaves as a call event and a `/metrics` sample.
 *
 * The taps cost one clock read and one array store per delivered frame, and
 * one clock read per voiced frame sent: nothing the 20 ms path notices.
 *
 * @module
 */
import { TurnLatencyTracker } from "../../lib/figures/turn_latency.ts";
import type { CallerSink, MediaPort } from "../media/call_media.ts";
import { type FiguresMetrics, figuresMetrics } from "./figures_metrics.ts";
import { FIRST_AGENT_AUDIO_EVENT, TURN_LATENCY_EVENT } from "./settle.ts";

/** What a {@linkcode LatencyProbe} needs from its session. */
export interface LatencyProbeOptions {
  /** The media clock (the session's scheduler), ms. */
  now(): number;
  /** The outbound player, read right after each send for the tag that frame carried. */
  player: { readonly lastFrameTag: string | undefined };
  /** Stores a call event (`turn_latency`, `first_agent_audio`). */
  record(name: string, data: Record<string, unknown>): void;
  /** @default the process's `/metrics` figures */
  metrics?: FiguresMetrics;
}

/** One call's latency taps; see the module doc. */
export class LatencyProbe {
  /** The figures measured so far. */
  readonly tracker: TurnLatencyTracker;
  #opts: LatencyProbeOptions;

  /** A probe for one call. */
  constructor(options: LatencyProbeOptions) {
    this.#opts = options;
    const metrics = options.metrics ?? figuresMetrics;
    this.tracker = new TurnLatencyTracker({
      onTurn: (ms) => {
        metrics.recordTurn(ms);
        options.record(TURN_LATENCY_EVENT, { ms: round(ms) });
      },
      onFirstAudio: (ms) => options.record(FIRST_AGENT_AUDIO_EVENT, { afterAcceptMs: round(ms) }),
    });
  }

  /** `port` with each send timed; the other members passed through as they are. */
  port(port: MediaPort): MediaPort {
    const { now, player } = this.#opts;
    const tapped: MediaPort = {
      sendOpus: (payload, sequenceNumber, timestamp, marker) => {
        port.sendOpus(payload, sequenceNumber, timestamp, marker);
        const tag = player.lastFrameTag;
        if (tag !== undefined) this.tracker.frameSent(tag, now());
      },
      onRtp: (listener) => port.onRtp(listener),
    };
    // Optional members stay absent when the port lacks them: CallMedia tests for them.
    if (port.receiveOnTicks) tapped.receiveOnTicks = (on) => port.receiveOnTicks!(on);
    if (port.pollRtp) tapped.pollRtp = () => port.pollRtp!();
    return tapped;
  }

  /** `sink` with each delivered caller frame timed. */
  sink(sink: CallerSink): CallerSink {
    const { now } = this.#opts;
    return {
      pushAudio: (frame) => {
        this.tracker.callerFrame(now());
        sink.pushAudio(frame);
      },
      pushDtmf: (digit) => sink.pushDtmf(digit),
    };
  }

  /** Media started (Meta's accept). */
  accepted(): void {
    this.tracker.accepted(this.#opts.now());
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
