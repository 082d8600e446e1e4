/**
 * The fake Realtime service's conversation: its items in order, what each
 * holds (audio ms, text), truncation as the service checks it, the input
 * tokens the next response reads and what a caller transcription uses.
 *
 * @module
 */
import type { TranscriptionUsage } from "../../lib/realtime/server_events.ts";
import {
  type FakeError,
  inputAudioTokens,
  type InputUsage,
  outputAudioTokens,
  textTokens,
} from "./openai_realtime_response.ts";

/** One item: a user turn, an assistant message or a function call (output). */
export interface Item {
  role: string;
  type: string;
  /** Caller audio (user items) or assistant audio sent (assistant items), ms. */
  audioMs: number;
  chars: number;
}

/** What a refused operation answers, as an `invalid_request_error`. */
export type Refusal = FakeError & { param: string | null };

/** A session's items. */
export class FakeConversation {
  readonly #items = new Map<string, Item>();
  #last: string | null = null;
  #lastInputTokens = 0;

  /** Appends an item; returns the id of the one before it. */
  add(id: string, item: Item): string | null {
    const previous = this.#last;
    this.#items.set(id, item);
    this.#last = id;
    return previous;
  }

  /** The item, if it exists. */
  get(id: string): Item | undefined {
    return this.#items.get(id);
  }

  /** Removes the item; false when there was none. */
  delete(id: string): boolean {
    return this.#items.delete(id);
  }

  /** More of an item's output arrived. */
  grow(id: string, audioMs: number, chars: number): void {
    const item = this.#items.get(id);
    if (!item) return;
    item.audioMs += audioMs;
    item.chars += chars;
  }

  /** Cuts an assistant item's audio at `endMs`, or says why it cannot. */
  truncate(id: string, endMs: number): Refusal | null {
    const item = this.#items.get(id);
    if (!item) return notFound(id);
    if (item.role !== "assistant" || item.audioMs === 0) {
      return refusal(
        "unsupported_content_type",
        "Only model output audio messages can be truncated",
        null,
      );
    }
    const sent = Math.floor(item.audioMs);
    if (endMs > sent) {
      return refusal(
        "invalid_value",
        `Audio content of ${sent}ms is already shorter than ${endMs}ms`,
        "audio_end_ms",
      );
    }
    item.audioMs = endMs;
    return null;
  }

  /**
   * The tokens the next response reads: `context` (instructions and tools, as
   * text) and every item. The previous response's input counts as a cached
   * prefix once it reaches 1024 tokens, in 64-token steps: an approximation
   * of prompt caching, whose exact rule for realtime models is not published.
   */
  inputUsage(context: string): InputUsage {
    let text = textTokens(context.length);
    let audio = 0;
    for (const item of this.#items.values()) {
      if (item.role === "user") audio += inputAudioTokens(item.audioMs);
      else if (item.audioMs > 0) audio += outputAudioTokens(item.audioMs);
      if (item.role === "user" || item.audioMs === 0) text += textTokens(item.chars);
    }
    const prev = this.#lastInputTokens;
    const cached = prev >= 1024 ? Math.min(Math.floor(prev / 64) * 64, text + audio) : 0;
    this.#lastInputTokens = text + audio;
    const cachedText = Math.min(cached, text);
    return { text, audio, cachedText, cachedAudio: cached - cachedText };
  }
}

function refusal(code: string, message: string, param: string | null): Refusal {
  return { type: "invalid_request_error", code, message, param };
}

/** The service's answer for an unknown item id. */
export function notFound(id: string): Refusal {
  return refusal("item_not_found", `Item with item_id not found: ${id}`, "item_id");
}

/**
 * Transcription models billed per minute of audio, whose usage is
 * `{type: "duration"}` (inferred from their per-minute prices; unconfirmed).
 */
const DURATION_BILLED = new Set(["whisper-1", "gpt-live-transcribe", "gpt-realtime-whisper"]);

/** A caller transcription's usage, by how its model is billed. */
export function transcriptionUsage(
  model: string,
  audioMs: number,
  transcript: string,
): TranscriptionUsage {
  if (DURATION_BILLED.has(model)) return { type: "duration", seconds: audioMs / 1000 };
  const audio = inputAudioTokens(audioMs);
  const output = textTokens(transcript.length);
  return {
    type: "tokens",
    input_tokens: audio,
    output_tokens: output,
    total_tokens: audio + output,
    input_token_details: { text_tokens: 0, audio_tokens: audio },
  };
}
