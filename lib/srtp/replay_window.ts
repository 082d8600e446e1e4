/**
 * The replay list of one SRTP or SRTCP stream, RFC 3711 §3.3.2 and §3.4: a
 * sliding window of {@linkcode REPLAY_WINDOW_SIZE} packet indexes behind the
 * highest one that authenticated, with one bit per index.
 *
 * A receiver asks {@linkcode ReplayWindow.check} before it authenticates a
 * packet and calls {@linkcode ReplayWindow.accept} only once the packet has
 * authenticated, so a forged packet can neither slide the window forward nor
 * mark an index as seen.
 *
 * Why 128 and not RFC 3711's minimum of 64: a caller sends 50 packets a
 * second, so 64 packets is 1.28 s of reordering; 128 (2.56 s, libsrtp's
 * default) leaves room for a relay that delays a burst without costing more
 * per packet: the bits are four 32-bit words, and a packet in order clears
 * one bit and sets one.
 *
 * @module
 */

/** How many indexes, the highest authenticated one included, the window covers. */
export const REPLAY_WINDOW_SIZE = 128;

/** The window's bits, as 32-bit words. */
const WORDS = REPLAY_WINDOW_SIZE / 32;

/**
 * The 48-bit SRTP packet index `ROC · 2^16 + SEQ` (RFC 3711 §3.3.1), exact
 * as a double. (An SRTCP index is carried whole in its packet.)
 */
export function srtpIndex(roc: number, seq: number): number {
  return roc * 0x10000 + seq;
}

/** The replay state of one stream in one direction. */
export class ReplayWindow {
  /** The highest authenticated index, or -1 before the first. */
  #top = -1;
  /**
   * Bit `i mod 128` set: index `i` of the window has authenticated. The bit
   * arithmetic reads indexes through ToInt32, which keeps their low 32 bits:
   * exactly what `mod 128` needs.
   */
  readonly #seen = new Int32Array(WORDS);

  /** The highest authenticated index, or -1 before the first. */
  get highest(): number {
    return this.#top;
  }

  /**
   * True when a packet with `index` may be authenticated: ahead of the
   * window, or inside it and not seen yet. False for a replay, or for an
   * index too old for the window to tell (RFC 3711 drops both).
   */
  check(index: number): boolean {
    const top = this.#top;
    if (index > top) return true;
    if (top - index >= REPLAY_WINDOW_SIZE) return false;
    return (this.#seen[(index >>> 5) & (WORDS - 1)]! & (1 << (index & 31))) === 0;
  }

  /**
   * Records that the packet with `index` authenticated, sliding the window
   * forward when it is the highest so far. An index {@linkcode check} would
   * refuse changes nothing.
   */
  accept(index: number): void {
    const top = this.#top;
    if (index > top) {
      if (top < 0 || index - top >= REPLAY_WINDOW_SIZE) {
        this.#seen.fill(0);
      } else {
        // The slots of the indexes the window slides over now belong to new, unseen ones.
        for (let i = top + 1; i < index; i++) this.#flip(i, false);
      }
      this.#top = index;
    } else if (top - index >= REPLAY_WINDOW_SIZE) {
      return;
    }
    this.#flip(index, true);
  }

  #flip(index: number, on: boolean): void {
    const word = (index >>> 5) & (WORDS - 1);
    const bit = 1 << (index & 31);
    this.#seen[word] = on ? this.#seen[word]! | bit : this.#seen[word]! & ~bit;
  }
}
