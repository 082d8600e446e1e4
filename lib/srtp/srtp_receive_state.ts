/**
 * What a receiver keeps per SSRC of one SRTP session: the rollover counter
 * (RFC 3711 §3.3.1) and the replay window (§3.3.2).
 *
 * Only a packet that authenticated creates or moves that state. A packet of
 * an SSRC never authenticated is tried under ROC 0 and leaves nothing behind,
 * so datagrams forged with random SSRCs cost a lookup each and allocate
 * nothing that outlives them, however many arrive.
 *
 * @module
 */
import { ReplayWindow, srtpIndex } from "./replay_window.ts";
import { RolloverCounter } from "./rollover_counter.ts";

/** One SSRC's state. */
class Stream {
  readonly rollover = new RolloverCounter();
  readonly window = new ReplayWindow();
}

/** The inbound state of every SSRC that has authenticated in one SRTP session. */
export class SrtpReceiveState {
  readonly #streams = new Map<number, Stream>();
  /** Packets refused, unauthenticated, as replays or as too old for the window. */
  replays = 0;

  /** How many SSRCs have state: those that sent a packet that authenticated. */
  get ssrcCount(): number {
    return this.#streams.size;
  }

  /**
   * The ROC to authenticate packet `seq` of `ssrc` under (its estimate, or 0
   * for an SSRC not seen yet), or -1 when the packet is a replay or too old:
   * drop it without authenticating it. A refusal is counted in `replays`.
   */
  admit(ssrc: number, seq: number): number {
    const stream = this.#streams.get(ssrc);
    if (!stream) return 0;
    const roc = stream.rollover.estimate(seq);
    if (stream.window.check(srtpIndex(roc, seq))) return roc;
    this.replays++;
    return -1;
  }

  /**
   * Whether packet `seq` of `ssrc` may be authenticated under `roc`, a ROC
   * the caller determined itself (werift's RTP path); a refusal is counted.
   */
  admitAt(ssrc: number, seq: number, roc: number): boolean {
    const stream = this.#streams.get(ssrc);
    if (!stream || stream.window.check(srtpIndex(roc, seq))) return true;
    this.replays++;
    return false;
  }

  /**
   * Records that packet `seq` of `ssrc` authenticated under `roc`; the first
   * packet of an SSRC to authenticate creates its state.
   */
  accept(ssrc: number, seq: number, roc: number): void {
    let stream = this.#streams.get(ssrc);
    if (!stream) this.#streams.set(ssrc, stream = new Stream());
    stream.rollover.update(seq, roc);
    stream.window.accept(srtpIndex(roc, seq));
  }
}
