/**
 * The latency the caller feels, per turn: from the caller's end of speech to
 * the agent's first audio frame of its answer sent on the wire.
 *
 * Both ends are on the call's media clock. The agent reports the end of
 * speech on the caller-audio timeline (ms of caller audio the media path has
 * delivered to it, 20 ms a frame); the tracker keeps the media-clock time at
 * which each recent frame was delivered and maps the end to the delivery of
 * the frame that holds it. The answer is the first frame sent with audio of a
 * tag (a Realtime item, an echo) never sent before.
 *
 * What is not a turn: an end of speech followed by more caller speech before
 * any answer is on the wire (the caller went on, or barged in: the response
 * was cancelled), and one whose answer never comes within `maxTurnMs`. An
 * answer whose first frame was sent counts even if the caller cuts it later:
 * they did hear it start.
 *
 * @module
 */

/** Options for {@linkcode TurnLatencyTracker}. */
export interface TurnLatencyOptions {
  /** Called with each measured turn, ms. */
  onTurn?: (ms: number) => void;
  /** Called once with accept → first agent audio frame on the wire, ms. */
  onFirstAudio?: (ms: number) => void;
  /** Frames of delivery times kept (an end of speech older than this is dropped). @default 3000 (60 s) */
  maxFrames?: number;
  /** An end of speech unanswered this long is not a turn. @default 20000 */
  maxTurnMs?: number;
}

/** A call's latency figures. */
export interface LatencySummary {
  /** Each turn's latency, ms, in order. */
  turnsMs: number[];
  /** Nearest-rank percentiles of `turnsMs`; `null` without turns. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Media start (Meta's accept) → first agent audio frame on the wire. */
  acceptToFirstAudioMs: number | null;
}

const FRAME_MS = 20;
/** Tags remembered as already sent; tags are unique per answer, so a few suffice. */
const MAX_TAGS = 64;

/** Nearest-rank percentile (0–100) of `values`; `null` when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** One call's turn latencies; see the module doc. */
export class TurnLatencyTracker {
  #opts:
    & Required<Omit<TurnLatencyOptions, "onTurn" | "onFirstAudio">>
    & Pick<TurnLatencyOptions, "onTurn" | "onFirstAudio">;
  #delivered: Float64Array;
  #frames = 0;
  #pendingEnd: number | undefined;
  #sentTags = new Set<string>();
  #acceptedAt: number | undefined;
  #firstAudioMs: number | null = null;
  #turns: number[] = [];

  /** A tracker with nothing measured yet. */
  constructor(options: TurnLatencyOptions = {}) {
    this.#opts = { maxFrames: 3000, maxTurnMs: 20_000, ...options };
    this.#delivered = new Float64Array(this.#opts.maxFrames);
  }

  /** A caller frame reached the agent at `at` (media clock, ms). O(1). */
  callerFrame(at: number): void {
    this.#delivered[this.#frames % this.#delivered.length] = at;
    this.#frames++;
  }

  /** Media started (Meta's accept) at `at`. */
  accepted(at: number): void {
    this.#acceptedAt ??= at;
  }

  /** The caller started speaking: an unanswered end of speech is not a turn. */
  speechStarted(): void {
    this.#pendingEnd = undefined;
  }

  /** The caller stopped speaking `callerAudioMs` into the audio delivered to the agent. */
  speechEnded(callerAudioMs: number): void {
    const n = this.#delivered.length;
    // The frame holding the end: [20k, 20k + 20) holds ms in it; the last frame when ahead.
    const index = Math.min(this.#frames - 1, Math.max(0, Math.ceil(callerAudioMs / FRAME_MS) - 1));
    if (index < 0 || index < this.#frames - n) return; // nothing delivered, or forgotten
    this.#pendingEnd = this.#delivered[index % n]!;
  }

  /** A frame went out on the wire at `at` with agent audio of `tag`, or silence (`undefined`). */
  frameSent(tag: string | undefined, at: number): void {
    if (tag === undefined) return;
    if (this.#firstAudioMs === null && this.#acceptedAt !== undefined) {
      this.#firstAudioMs = at - this.#acceptedAt;
      this.#opts.onFirstAudio?.(this.#firstAudioMs);
    }
    if (this.#sentTags.has(tag)) return;
    this.#sentTags.add(tag);
    if (this.#sentTags.size > MAX_TAGS) {
      this.#sentTags.delete(this.#sentTags.values().next().value!);
    }
    const end = this.#pendingEnd;
    if (end === undefined) return;
    this.#pendingEnd = undefined;
    const ms = at - end;
    if (ms < 0 || ms > this.#opts.maxTurnMs) return;
    this.#turns.push(ms);
    this.#opts.onTurn?.(ms);
  }

  /** The figures so far. */
  summary(): LatencySummary {
    return {
      turnsMs: [...this.#turns],
      p50Ms: percentile(this.#turns, 50),
      p95Ms: percentile(this.#turns, 95),
      acceptToFirstAudioMs: this.#firstAudioMs,
    };
  }
}
