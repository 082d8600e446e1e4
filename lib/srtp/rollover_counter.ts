/**
 * The SRTP rollover counter (ROC) of one SSRC, RFC 3711 §3.3.1.
 *
 * An SRTP packet is keyed by its 48-bit index `ROC · 2^16 + SEQ`, but only
 * the 16-bit sequence number travels in the packet. A receiver guesses the
 * ROC from the highest sequence number it has authenticated (`s_l`), so a
 * packet reordered across a wrap of SEQ still decrypts, and it only moves its
 * state forward once the packet has authenticated: a forged packet cannot
 * push the counter off. A sender, whose sequence numbers only increase, uses
 * the same two steps.
 *
 * @module
 */

/** SEQ distance that tells "before the wrap" from "after it" (half the space). */
const HALF = 0x8000;

/** The ROC state of one SSRC in one direction. */
export class RolloverCounter {
  #roc = 0;
  /** `s_l`: the highest authenticated sequence number, or -1 before the first packet. */
  #highest = -1;

  /** The ROC in force (that of the highest sequence number seen). */
  get roc(): number {
    return this.#roc;
  }

  /**
   * The ROC to protect or unprotect packet `seq` with: the guess `v` of
   * RFC 3711 §3.3.1, one less or one more than the current ROC for a packet
   * from before or after a wrap. (Before the first packet, the current ROC.)
   */
  estimate(seq: number): number {
    const s = this.#highest;
    if (s < 0) return this.#roc;
    if (s < HALF) return seq - s > HALF ? (this.#roc - 1) >>> 0 : this.#roc;
    return s - HALF > seq ? (this.#roc + 1) >>> 0 : this.#roc;
  }

  /** Records that packet `seq` authenticated under `roc`, the value {@linkcode estimate} gave. */
  update(seq: number, roc: number): void {
    if (this.#highest < 0 || roc === ((this.#roc + 1) >>> 0)) {
      this.#roc = roc;
      this.#highest = seq;
    } else if (roc === this.#roc && seq > this.#highest) {
      this.#highest = seq;
    }
  }
}
