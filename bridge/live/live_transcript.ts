/**
 * The last few lines of a call as they are spoken, for the console's live
 * view: finished lines as the session stores them, and the utterances still
 * in progress built from the agent's deltas (OpenAI streams both the agent's
 * words and the caller's transcription). Bounded in lines and characters, so
 * a snapshot of it always fits one NOTIFY.
 *
 * @module
 */
import type { Speaker, TranscriptEntry } from "../agents/agent.ts";
import { LIVE_LINE_MAX_CHARS, type LiveLine } from "../../store/live.ts";

/** Finished lines kept. */
export const LIVE_FINISHED_LINES = 6;

/** Utterances in progress kept (a late item and a new one may overlap). */
const MAX_PARTIALS = 4;

/** The first `max` characters (code points) of `text`, marked when cut. */
function head(text: string, max = LIVE_LINE_MAX_CHARS): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** The last `max` characters of `text`: what is being said now. */
function tail(text: string, max = LIVE_LINE_MAX_CHARS): string {
  const chars = [...text];
  return chars.length <= max ? text : `…${chars.slice(chars.length - max + 1).join("")}`;
}

/** One call's live transcript. */
export class LiveTranscript {
  #finished: LiveLine[] = [];
  /** In progress, by item id, oldest first (Map keeps insertion order). */
  #partial = new Map<string, { speaker: Speaker; text: string }>();

  /** A finished line: it replaces its speaker's oldest utterance in progress. */
  line(entry: TranscriptEntry): void {
    this.#finished.push({ speaker: entry.speaker, text: head(entry.text.trim()), partial: false });
    if (this.#finished.length > LIVE_FINISHED_LINES) this.#finished.shift();
    for (const [id, p] of this.#partial) {
      if (p.speaker !== entry.speaker) continue;
      this.#partial.delete(id);
      break;
    }
  }

  /** More words of utterance `itemId`. */
  delta(speaker: Speaker, itemId: string, delta: string): void {
    const current = this.#partial.get(itemId);
    if (current !== undefined) {
      // The tail is what matters live; keep a little more so trimming stays rare.
      current.text = tail(current.text + delta, LIVE_LINE_MAX_CHARS * 2);
      return;
    }
    this.#partial.set(itemId, { speaker, text: tail(delta, LIVE_LINE_MAX_CHARS * 2) });
    if (this.#partial.size > MAX_PARTIALS) this.#partial.delete(this.#partial.keys().next().value!);
  }

  /** Finished lines, oldest first, then the utterances in progress. */
  lines(): LiveLine[] {
    const partial = [...this.#partial.values()]
      .filter((p) => p.text.trim() !== "")
      .map((p): LiveLine => ({ speaker: p.speaker, text: tail(p.text.trim()), partial: true }));
    return [...this.#finished, ...partial];
  }
}
