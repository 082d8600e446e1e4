/**
 * The caller's turns as the server's VAD and transcription report them: when
 * each started and stopped, joined with its transcript into a line to store.
 *
 * @module
 */
import type { TranscriptEntry } from "./agent.ts";

/** Caller turns by input item id, until their transcript arrives. */
export class CallerSpeech {
  readonly #clock: () => number;
  readonly #turns = new Map<string, { startedAt: number; endedAt?: number }>();

  /** `clock`: epoch ms. */
  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** `input_audio_buffer.speech_started`. */
  started(itemId: string): void {
    this.#turns.set(itemId, { startedAt: this.#clock() });
  }

  /** `input_audio_buffer.speech_stopped`. */
  stopped(itemId: string): void {
    const turn = this.#turns.get(itemId);
    if (turn) turn.endedAt = this.#clock();
  }

  /**
   * `…input_audio_transcription.completed`: the caller's line, or null when
   * nothing was said. A turn never seen starting is dated now.
   */
  transcribed(itemId: string, transcript: string): TranscriptEntry | null {
    const now = this.#clock();
    const turn = this.#turns.get(itemId);
    this.#turns.delete(itemId);
    const text = transcript.trim();
    if (text === "") return null;
    return {
      speaker: "caller",
      text,
      startedAt: turn?.startedAt ?? now,
      endedAt: turn?.endedAt ?? now,
    };
  }

  /** The session dropped: pending turns will never be transcribed. */
  clear(): void {
    this.#turns.clear();
  }
}
