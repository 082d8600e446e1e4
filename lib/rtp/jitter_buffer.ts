/**
 * Adaptive jitter buffer for fixed-duration audio frames (20 ms Opus), driven
 * by the caller's playout tick: {@linkcode JitterBuffer.push} on every packet,
 * {@linkcode JitterBuffer.pop} once per frame. No timers inside; time comes in
 * as the `arrivalMs` / `nowMs` arguments.
 *
 * Policy:
 * - Playout starts (and restarts after an underrun) once the buffered span
 *   reaches the target depth, or the oldest waiting packet has waited the
 *   target delay (so a lone packet before a talk gap still plays).
 * - Each tick plays one sequence number. A missing one is reported as `lost`
 *   at most once, with the following payload when it is already here (Opus
 *   in-band FEC), but only when a later packet proves it missing; with nothing
 *   buffered the tick is an underrun: `empty`, and the buffer re-fills. So a
 *   sender that stops (talk gap, DTX, hang-up) yields `empty`, not losses.
 * - Frames missing when playout resumes after an underrun are reported as a
 *   single `lost` (the last one, which FEC can rebuild from the next packet):
 *   the `empty` ticks already stood in for the others.
 * - A run of more than `maxLossRun` missing frames is skipped in one tick:
 *   concealing it would only add latency.
 * - Frames never reported as `lost` still count in `stats.lost`.
 * - The target depth follows the RFC 3550 §6.4.1 interarrival jitter J:
 *   target = clamp(frame + 3·J, minDelayMs, maxDelayMs), with |D| capped at
 *   maxDelayMs so one outlier cannot pin the target; the target depth is that
 *   delay rounded to whole frames (at least one). The oldest frame is dropped
 *   to bring latency back down when the buffered span exceeds the target by
 *   more than one frame (one per tick), or stayed above it for a whole second
 *   (one per second).
 * - A sequence jump of more than the ring capacity (forward or back) is a
 *   sender restart if the next packet continues it (RFC 3550 §A.1 probation):
 *   the buffer resyncs instead of reporting thousands of losses.
 * - Memory is a fixed ring; a packet too far ahead for it discards the oldest.
 *
 * Payloads are stored by reference, not copied: the caller must not reuse
 * their bytes until they have been played.
 *
 * @module
 */
import { SequenceUnwrapper, tsDiff } from "./sequence.ts";

/** Configuration of a {@linkcode JitterBuffer}. */
export interface JitterBufferOptions {
  /** RTP clock rate, e.g. 48000 for Opus. */
  clockRate: number;
  /** RTP timestamp units per frame, e.g. 960 for 20 ms at 48 kHz. */
  frameTicks: number;
  /** Lowest target delay (default 20 ms, one frame). */
  minDelayMs?: number;
  /** Highest target delay (default 120 ms). */
  maxDelayMs?: number;
  /** Longest run of missing frames reported one `lost` per tick (default 5). */
  maxLossRun?: number;
}

/** The parts of an RTP packet the buffer needs. */
export interface JitterPacket {
  sequenceNumber: number;
  timestamp: number;
  payload: Uint8Array;
}

/**
 * What {@linkcode JitterBuffer.push} did with a packet:
 * - `queued`: buffered for playout;
 * - `duplicate`: already buffered or played, dropped;
 * - `late`: its turn has passed, dropped;
 * - `overflow`: queued, after discarding the oldest frames to make room;
 * - `discontinuity`: a sequence jump beyond the buffer; dropped unless the next
 *   packet confirms a restart;
 * - `resync`: it confirmed a restart; the buffer was cleared and it was queued.
 */
export type PushOutcome = "queued" | "duplicate" | "late" | "overflow" | "discontinuity" | "resync";

/** What to play for one tick. */
export type PlayoutFrame =
  | { kind: "frame"; payload: Uint8Array; sequenceNumber: number; timestamp: number }
  | {
    kind: "lost";
    /** The missing 16-bit sequence number. */
    sequenceNumber: number;
    /** The next frame's payload when already buffered (decode it with FEC), else `null`. */
    next: Uint8Array | null;
  }
  /** Nothing to play: initial fill, re-fill after an underrun, or a talk gap. */
  | { kind: "empty" };

/** Counters and current state of a {@linkcode JitterBuffer}. */
export interface JitterBufferStats {
  /** Packets pushed, whatever the outcome. */
  received: number;
  duplicates: number;
  late: number;
  /** Frames never received: reported `lost`, skipped in a long run, or evicted by overflow. */
  lost: number;
  /** Packets that arrived after a later sequence number. */
  reordered: number;
  /** Buffered frames discarded unplayed (latency reduction, overflow, resync). */
  dropped: number;
  /** Sender restarts handled. */
  resyncs: number;
  /** RFC 3550 interarrival jitter, in ms. */
  jitterMs: number;
  targetDelayMs: number;
  /** Packets currently buffered. */
  depthFrames: number;
}

const EMPTY: PlayoutFrame = Object.freeze({ kind: "empty" });
const NONE = 0;
const QUEUED = 1;
/** Played or discarded: a later copy is a duplicate. */
const CONSUMED = 2;
/** Playing ticks (1 s of 20 ms frames) over which a depth above target must persist to shed it. */
const DEPTH_WINDOW_TICKS = 50;

/** See the module documentation for the playout policy. */
export class JitterBuffer {
  readonly #clockRate: number;
  readonly #frameMs: number;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxDelayTicks: number;
  readonly #maxLossRun: number;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #slotExt: Float64Array;
  readonly #slotState: Uint8Array;
  readonly #slotTs: Uint32Array;
  readonly #slotPayload: (Uint8Array | null)[];
  readonly #unwrapper = new SequenceUnwrapper();
  /** Extended sequence number to play next; NaN before the first packet. */
  #next = NaN;
  #count = 0;
  #playing = false;
  /** Something was played or reported since the last (re)start of the sequence. */
  #started = false;
  /** Arrival of the oldest packet waiting for playout to (re)start. */
  #waitSince = NaN;
  /** Sequence number that would confirm a jump, or -1. */
  #probe = -1;
  /** Interarrival jitter J in timestamp units. */
  #jitter = 0;
  #prevArrivalMs = NaN;
  #prevTs = 0;
  #targetMs: number;
  #targetFrames = 1;
  #windowTicks = 0;
  /** Smallest buffered span seen at a playing tick in the current window. */
  #windowMinDepth = Infinity;
  #received = 0;
  #duplicates = 0;
  #late = 0;
  #lost = 0;
  #reordered = 0;
  #dropped = 0;
  #resyncs = 0;

  /** @throws {RangeError} on a non-positive rate or frame, or min > max delay. */
  constructor(options: JitterBufferOptions) {
    const { clockRate, frameTicks, minDelayMs = 20, maxDelayMs = 120, maxLossRun = 5 } = options;
    if (!(clockRate > 0 && frameTicks > 0)) throw new RangeError("clockRate and frameTicks > 0");
    if (!(minDelayMs >= 0 && maxDelayMs >= minDelayMs)) {
      throw new RangeError("need 0 <= minDelayMs <= maxDelayMs");
    }
    this.#clockRate = clockRate;
    this.#frameMs = (frameTicks * 1000) / clockRate;
    this.#minDelayMs = minDelayMs;
    this.#maxDelayMs = maxDelayMs;
    this.#maxDelayTicks = (maxDelayMs * clockRate) / 1000;
    this.#maxLossRun = maxLossRun;
    // Room for the deepest target several times over, at least 64 frames.
    const frames = Math.ceil(maxDelayMs / this.#frameMs) * 4;
    this.#capacity = Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(frames, 1))));
    this.#mask = this.#capacity - 1;
    this.#slotExt = new Float64Array(this.#capacity).fill(NaN);
    this.#slotState = new Uint8Array(this.#capacity);
    this.#slotTs = new Uint32Array(this.#capacity);
    this.#slotPayload = new Array<Uint8Array | null>(this.#capacity).fill(null);
    this.#targetMs = 0;
    this.#updateTarget();
  }

  /** Ring capacity in frames: the most packets ever held. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Current counters (a fresh object). */
  get stats(): JitterBufferStats {
    return {
      received: this.#received,
      duplicates: this.#duplicates,
      late: this.#late,
      lost: this.#lost,
      reordered: this.#reordered,
      dropped: this.#dropped,
      resyncs: this.#resyncs,
      jitterMs: (this.#jitter * 1000) / this.#clockRate,
      targetDelayMs: this.#targetMs,
      depthFrames: this.#count,
    };
  }

  /** Offers a received packet that arrived at `arrivalMs` (any monotonic ms clock). */
  push(packet: JitterPacket, arrivalMs: number): PushOutcome {
    this.#received++;
    const seq = packet.sequenceNumber & 0xffff;
    const highest = this.#unwrapper.highest;
    if (highest === undefined) {
      this.#restart(packet, arrivalMs);
      return "queued";
    }
    const ext = this.#unwrapper.extend(seq);
    const cap = this.#capacity;
    if (ext - highest > cap || highest - ext > cap) {
      if (seq !== this.#probe) {
        this.#probe = (seq + 1) & 0xffff;
        return "discontinuity";
      }
      this.#clear();
      this.#resyncs++;
      this.#restart(packet, arrivalMs);
      return "resync";
    }
    this.#probe = -1;
    const slot = ext & this.#mask;
    if (this.#slotExt[slot] === ext && this.#slotState[slot] !== NONE) {
      this.#duplicates++;
      return "duplicate";
    }
    this.#updateJitter(packet.timestamp, arrivalMs);
    if (ext < this.#next) {
      if (this.#started || highest - ext >= cap) {
        this.#late++;
        return "late";
      }
      this.#next = ext; // reordered ahead of the first packet, before playout began
    }
    let outcome: PushOutcome = "queued";
    if (ext - this.#next >= cap) {
      this.#evictUntil(ext - cap + 1);
      outcome = "overflow";
    }
    if (ext < highest) this.#reordered++;
    this.#store(slot, ext, packet, arrivalMs);
    this.#unwrapper.unwrap(seq);
    return outcome;
  }

  /** Returns what to play for the tick at `nowMs`; call once per frame. */
  pop(nowMs: number): PlayoutFrame {
    if (this.#count === 0) {
      this.#playing = false;
      return EMPTY;
    }
    const highest = this.#unwrapper.highest!;
    const resuming = !this.#playing;
    if (resuming) {
      const filled = highest - this.#next + 1 >= this.#targetFrames;
      if (!filled && nowMs - this.#waitSince < this.#targetMs) return EMPTY;
      this.#playing = true;
      this.#waitSince = NaN;
    }
    this.#started = true;
    let slot = this.#next & this.#mask;
    if (this.#tooDeep(highest - this.#next + 1) && this.#isQueued(slot, this.#next)) {
      this.#consume(slot);
      this.#dropped++;
      this.#next++;
      slot = this.#next & this.#mask;
    }
    if (!this.#isQueued(slot, this.#next)) {
      let first = this.#next + 1;
      while (!this.#isQueued(first & this.#mask, first)) first++;
      const run = first - this.#next;
      if (run <= this.#maxLossRun) {
        if (resuming) {
          // The underrun's empty ticks already stood in for all but the last missing frame.
          this.#lost += run - 1;
          this.#next = first - 1;
        }
        const after = (this.#next + 1) & this.#mask;
        const next = this.#isQueued(after, this.#next + 1) ? this.#slotPayload[after]! : null;
        const sequenceNumber = this.#next & 0xffff;
        this.#lost++;
        this.#next++;
        return { kind: "lost", sequenceNumber, next };
      }
      this.#lost += run;
      this.#next = first;
      slot = first & this.#mask;
    }
    const payload = this.#slotPayload[slot]!;
    const frame: PlayoutFrame = {
      kind: "frame",
      payload,
      sequenceNumber: this.#next & 0xffff,
      timestamp: this.#slotTs[slot]!,
    };
    this.#consume(slot);
    this.#next++;
    return frame;
  }

  /**
   * True when latency should shrink by a frame: the span is over a frame above
   * target now, or it never fell to the target during the last window.
   */
  #tooDeep(depth: number): boolean {
    const target = this.#targetFrames;
    if (depth < this.#windowMinDepth) this.#windowMinDepth = depth;
    let excess = depth > target + 1;
    if (++this.#windowTicks === DEPTH_WINDOW_TICKS) {
      excess ||= this.#windowMinDepth > target;
      this.#windowTicks = 0;
      this.#windowMinDepth = Infinity;
    }
    return excess;
  }

  #isQueued(slot: number, ext: number): boolean {
    return this.#slotState[slot] === QUEUED && this.#slotExt[slot] === ext;
  }

  #store(slot: number, ext: number, packet: JitterPacket, arrivalMs: number): void {
    this.#slotExt[slot] = ext;
    this.#slotState[slot] = QUEUED;
    this.#slotTs[slot] = packet.timestamp;
    this.#slotPayload[slot] = packet.payload;
    this.#count++;
    if (!this.#playing && Number.isNaN(this.#waitSince)) this.#waitSince = arrivalMs;
  }

  #consume(slot: number): void {
    this.#slotState[slot] = CONSUMED;
    this.#slotPayload[slot] = null;
    this.#count--;
  }

  /** Advances `#next` to `until`, discarding what is buffered before it. */
  #evictUntil(until: number): void {
    for (let e = this.#next; e < until; e++) {
      const slot = e & this.#mask;
      if (this.#isQueued(slot, e)) {
        this.#consume(slot);
        this.#dropped++;
      } else {
        this.#lost++;
      }
    }
    this.#next = until;
  }

  /** Drops every buffered frame (sender restart). */
  #clear(): void {
    this.#dropped += this.#count;
    this.#count = 0;
    this.#slotExt.fill(NaN);
    this.#slotState.fill(NONE);
    this.#slotPayload.fill(null);
  }

  /** Starts a new sequence at `packet`, keeping the jitter estimate. */
  #restart(packet: JitterPacket, arrivalMs: number): void {
    this.#unwrapper.reset();
    const ext = this.#unwrapper.unwrap(packet.sequenceNumber & 0xffff);
    this.#next = ext;
    this.#playing = false;
    this.#started = false;
    this.#waitSince = NaN;
    this.#probe = -1;
    this.#prevArrivalMs = NaN;
    this.#updateJitter(packet.timestamp, arrivalMs);
    this.#store(ext & this.#mask, ext, packet, arrivalMs);
  }

  /**
   * RFC 3550 §6.4.1: J += (|D| - J) / 16, D the change in transit time. |D| is
   * capped at the maximum delay: a larger change (a pause the timestamps do not
   * show, a clock jump) cannot be absorbed anyway and must not pin the target.
   */
  #updateJitter(timestamp: number, arrivalMs: number): void {
    if (!Number.isNaN(this.#prevArrivalMs)) {
      const d = ((arrivalMs - this.#prevArrivalMs) * this.#clockRate) / 1000 -
        tsDiff(timestamp, this.#prevTs);
      const absD = Math.min(Math.abs(d), this.#maxDelayTicks);
      this.#jitter += (absD - this.#jitter) / 16;
      this.#updateTarget();
    }
    this.#prevArrivalMs = arrivalMs;
    this.#prevTs = timestamp;
  }

  #updateTarget(): void {
    const jitterMs = (this.#jitter * 1000) / this.#clockRate;
    const ms = Math.min(
      this.#maxDelayMs,
      Math.max(this.#minDelayMs, this.#frameMs + 3 * jitterMs),
    );
    this.#targetMs = ms;
    this.#targetFrames = Math.max(1, Math.round(ms / this.#frameMs));
  }
}
