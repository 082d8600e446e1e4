/**
 * The fake Realtime service's turn detection, on the input-buffer timeline
 * (milliseconds of audio appended, as the service counts `audio_start_ms`), in
 * 10 ms windows.
 *
 * - Speech is a window whose speech probability reaches `threshold`, the
 *   service's "activation threshold for VAD (0.0 to 1.0) … A higher threshold
 *   will require louder audio to activate the model" (default 0.5). The
 *   service's probability comes from a model; this fake maps loudness to it
 *   (see {@linkcode speechProbability}).
 * - `server_vad` ends a turn after `silence_duration_ms` of silence;
 *   `semantic_vad` waits as long as its eagerness allows at most ("`low`,
 *   `medium`, and `high` have max timeouts of 8s, 4s, and 2s", `auto` =
 *   `medium`): a fake cannot tell a finished sentence, so it takes the bound.
 * - `idle_timeout_ms` (server VAD only) fires once the caller has been silent
 *   that long after the last response's audio would have finished playing.
 *
 * Source: openai-node `RealtimeAudioInputTurnDetection` and the spec's
 * `idle_timeout_ms` (https://github.com/openai/openai-node).
 *
 * @module
 */
import type { TurnDetection } from "../../lib/realtime/session.ts";

const SAMPLES_PER_MS = 24;
const WINDOW_MS = 10;
const WINDOW = WINDOW_MS * SAMPLES_PER_MS;

/** Semantic VAD's longest wait for the end of a turn, by eagerness. */
export const SEMANTIC_MAX_WAIT_MS = { low: 8000, medium: 4000, high: 2000, auto: 4000 } as const;

/** Level (dBFS) mapped to probability 0 and 1; between them the mapping is linear. */
const SILENT_DBFS = -60;
const LOUD_DBFS = -10;

/**
 * The fake's speech probability of a window with this RMS (int16 units):
 * 0 at -60 dBFS and below, 1 at -10 dBFS and above, linear in dB between.
 * At the default threshold 0.5 speech starts at -35 dBFS (RMS ≈ 580); a
 * full-scale-quarter tone (amplitude 8000, -15 dBFS) scores 0.9.
 */
export function speechProbability(rms: number): number {
  if (rms <= 0) return 0;
  const dbfs = 20 * Math.log10(rms / 32768);
  return Math.min(1, Math.max(0, (dbfs - SILENT_DBFS) / (LOUD_DBFS - SILENT_DBFS)));
}

/** What the detector saw, in input-buffer ms. */
export type VadEvent =
  | { kind: "speech_started"; audioStartMs: number }
  | { kind: "speech_stopped"; audioEndMs: number }
  | { kind: "idle_timeout"; audioStartMs: number; audioEndMs: number };

function rmsOf(pcm: Int16Array, from: number): number {
  let sum = 0;
  for (let i = from; i < from + WINDOW; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / WINDOW);
}

/** Turn detection over one session's appended audio. */
export class FakeVad {
  #carry = new Int16Array(0);
  #windows = 0;
  #speech: { lastVoiceMs: number } | null = null;
  /** Input ms from which caller silence counts towards the idle timeout; null: not armed. */
  #idleFrom: number | null = null;

  /** Input-buffer time: ms of audio appended so far (whole windows). */
  get nowMs(): number {
    return this.#windows * WINDOW_MS;
  }

  /** Whether a turn is open. */
  get inSpeech(): boolean {
    return this.#speech !== null;
  }

  /**
   * A response finished with `audioMs` of audio: arms the idle timeout from
   * when that audio will have played (it plays from now, in real time, as the
   * caller's audio keeps arriving).
   */
  responseDone(audioMs: number): void {
    this.#idleFrom = this.nowMs + audioMs;
  }

  /** Forgets the open turn (`input_audio_buffer.clear`). */
  clear(): void {
    this.#speech = null;
  }

  /** Runs `td` over `pcm` (24 kHz), returning what happened, in order. */
  append(pcm: Int16Array, td: TurnDetection): VadEvent[] {
    const all = new Int16Array(this.#carry.length + pcm.length);
    all.set(this.#carry);
    all.set(pcm, this.#carry.length);
    const out: VadEvent[] = [];
    let off = 0;
    for (; off + WINDOW <= all.length; off += WINDOW) {
      const voiced = speechProbability(rmsOf(all, off)) >=
        (td.type === "server_vad" ? td.threshold ?? 0.5 : 0.5);
      const event = this.#window(voiced, td);
      if (event) out.push(event);
    }
    this.#carry = all.slice(off);
    return out;
  }

  #window(voiced: boolean, td: TurnDetection): VadEvent | null {
    const t = this.#windows++ * WINDOW_MS;
    if (!this.#speech) {
      if (voiced) {
        this.#speech = { lastVoiceMs: t + WINDOW_MS };
        this.#idleFrom = null;
        const prefix = td.type === "server_vad" ? td.prefix_padding_ms ?? 300 : 300;
        return { kind: "speech_started", audioStartMs: Math.max(0, t - prefix) };
      }
      return this.#idle(t + WINDOW_MS, td);
    }
    if (voiced) {
      this.#speech.lastVoiceMs = t + WINDOW_MS;
      return null;
    }
    const wait = td.type === "server_vad"
      ? td.silence_duration_ms ?? 500
      : SEMANTIC_MAX_WAIT_MS[td.eagerness ?? "auto"];
    if (t + WINDOW_MS - this.#speech.lastVoiceMs < wait) return null;
    const { lastVoiceMs } = this.#speech;
    this.#speech = null;
    return { kind: "speech_stopped", audioEndMs: lastVoiceMs };
  }

  #idle(nowMs: number, td: TurnDetection): VadEvent | null {
    const timeout = td.type === "server_vad" ? td.idle_timeout_ms : null;
    const from = this.#idleFrom;
    if (timeout == null || from === null || nowMs - from < timeout) return null;
    this.#idleFrom = null;
    return { kind: "idle_timeout", audioStartMs: from, audioEndMs: nowMs };
  }
}
