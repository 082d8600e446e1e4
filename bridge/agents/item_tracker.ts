/**
 * What became of each assistant item (one spoken line) of a call: how much
 * audio arrived, how much the caller heard, and whether its line was stored.
 *
 * Rules this unit keeps:
 * - A barge-in (reference §4.3) cuts every unplayed item at
 *   {@linkcode audioEndMs}, never past what the caller heard, or deletes it
 *   when nothing of it was heard, so the model does not believe it said
 *   something nobody heard. Later events of a cut response are dropped.
 * - Each item's line is stored exactly once: whole once the caller heard all
 *   of it, or, at a barge-in or hang-up before then, the share of words
 *   proportional to the audio heard, marked interrupted.
 *
 * @module
 */
import type { AudioOut, TranscriptEntry } from "./agent.ts";
import type { ClientEvent } from "../../lib/realtime/events.ts";
import { type TimerId, type Timers, TimerSet } from "./timers.ts";

/** Samples per millisecond of the 24 kHz agent audio. */
const SAMPLES_PER_MS = 24;
/**
 * How long a line cut before any of its text arrived waits for the service's
 * transcript of it; past that, it is stored with what has come.
 */
export const CUT_TRANSCRIPT_WAIT_MS = 3_000;

/** How often a finished line polls the player until it has been heard. */
const HEARD_POLL_MS = 20;

/**
 * The first `ratio` of `text`, cut back to a whole word: what the caller heard
 * of an interrupted utterance, assuming words are spread evenly over the audio.
 */
export function truncateText(text: string, ratio: number): string {
  const n = Math.round(text.length * Math.min(1, Math.max(0, ratio)));
  if (n >= text.length) return text;
  const head = text.slice(0, n);
  const cut = /\s/.test(text[n]!) ? head : head.replace(/\S+$/, "");
  return cut.trimEnd();
}

/**
 * Where to cut an item at a barge-in, whole ms: never more than the caller
 * heard (`playedMs`) nor than was received, rounded down.
 */
export function audioEndMs(playedMs: number, receivedMs: number): number {
  return Math.floor(Math.min(playedMs, receivedMs));
}

/** What a barge-in did to one item that was still playing. */
export interface ItemCut {
  itemId: string;
  /** `truncate` at `playedMs`, or `delete` when nothing was heard. */
  action: "truncate" | "delete";
  /** The {@linkcode audioEndMs} cut point; 0 for a delete. */
  playedMs: number;
  receivedMs: number;
}

/** The client event that tells the service about `cut`. */
export function cutEvent(cut: ItemCut): ClientEvent {
  return cut.action === "delete" ? { type: "conversation.item.delete", item_id: cut.itemId } : {
    type: "conversation.item.truncate",
    item_id: cut.itemId,
    content_index: 0,
    audio_end_ms: cut.playedMs,
  };
}

/** Dependencies of {@linkcode ItemTracker}. */
export interface ItemTrackerOptions {
  /** The call's outbound player. */
  audio: AudioOut;
  /** Epoch ms. */
  clock: () => number;
  timers: Timers;
  /** Receives each agent line, exactly once per item. */
  onTranscript(entry: TranscriptEntry): void;
}

interface Item {
  itemId: string;
  responseId: string;
  receivedMs: number;
  audioDone: boolean;
  /** Estimated playback start, epoch ms. */
  startedAt: number;
  transcript: string;
  /** Fully played or cut at a barge-in. */
  settled: boolean;
  /** The poll waiting for the caller to have heard it all. */
  poll?: TimerId;
}

/** Tracks the assistant items of one call. */
export class ItemTracker {
  readonly #o: ItemTrackerOptions;
  readonly #timers: TimerSet;
  readonly #items = new Map<string, Item>();
  readonly #discarded = new Set<string>();
  /** Items whose line was stored (or found empty): never stored again. */
  readonly #stored = new Set<string>();
  /** Items cut, heard, before their text arrived: the heard share is stored once it has. */
  readonly #awaitingText = new Map<string, { t: Item; heardMs: number }>();
  #closed = false;

  /** Tracks items for one call. */
  constructor(options: ItemTrackerOptions) {
    this.#o = options;
    this.#timers = new TimerSet(options.timers);
  }

  /** Drops the rest of a response's audio, text and tool calls (it was cancelled). */
  discard(responseId: string): void {
    this.#discarded.add(responseId);
  }

  /** Whether a response was cut off by a barge-in. */
  isDiscarded(responseId: string): boolean {
    return this.#discarded.has(responseId);
  }

  /** Agent audio for an item: queued for the caller unless its response was discarded. */
  audio(itemId: string, responseId: string, pcm: Int16Array): void {
    if (this.#discarded.has(responseId)) return;
    this.#track(itemId, responseId).receivedMs += pcm.length / SAMPLES_PER_MS;
    this.#o.audio.enqueue(pcm, itemId);
  }

  /** Part of an item's transcript; text can run ahead of its audio, so it may open the item. */
  transcriptDelta(itemId: string, responseId: string, delta: string): void {
    const cut = this.#awaitingText.get(itemId);
    if (cut) cut.t.transcript += delta;
    if (this.#discarded.has(responseId)) return;
    this.#track(itemId, responseId).transcript += delta;
  }

  /** The item's audio is complete. */
  audioDone(itemId: string): void {
    const t = this.#items.get(itemId);
    if (t) t.audioDone = true;
  }

  /** The item's final transcript: stored once the caller has heard all of it. */
  transcriptDone(itemId: string, responseId: string, transcript: string): void {
    const cut = this.#awaitingText.get(itemId);
    if (cut) {
      // The cancelled response still reports what it had said: store the heard share of it.
      cut.t.transcript = transcript;
      this.#storeCut(itemId);
      return;
    }
    const t = this.#items.get(itemId);
    if (!t || this.#stored.has(itemId) || this.#discarded.has(responseId)) return;
    t.transcript = transcript;
    this.#storeWhenHeard(t);
  }

  /**
   * The caller spoke over the agent; `played` is the player's flush (ms played
   * of each tag still queued). Cuts every unplayed item and stores the heard
   * part of its line; the caller must send {@linkcode cutEvent} for each cut.
   */
  bargeIn(played: ReadonlyMap<string, number>): ItemCut[] {
    const cuts: ItemCut[] = [];
    for (const t of this.#items.values()) {
      if (t.settled) continue;
      // Not in the flush: nothing of it was queued, so all received audio was heard.
      const playedMs = played.get(t.itemId) ?? t.receivedMs;
      const heard = Math.min(playedMs, t.receivedMs);
      if (t.audioDone && heard >= t.receivedMs) {
        this.#settle(t);
        continue;
      }
      const endMs = audioEndMs(playedMs, t.receivedMs);
      this.#discarded.add(t.responseId);
      this.#items.delete(t.itemId);
      cuts.push({
        itemId: t.itemId,
        action: endMs > 0 ? "truncate" : "delete",
        playedMs: endMs,
        receivedMs: t.receivedMs,
      });
      if (heard > 0 && t.transcript.trim() === "") this.#awaitText(t, heard);
      else this.#store(t, heardText(t, heard), true);
    }
    return cuts;
  }

  /** The session dropped: its items are gone, but lines already waiting to be heard are kept. */
  reset(): void {
    this.#items.clear();
    this.#discarded.clear();
  }

  /** The call ends: stores what was heard of lines still playing, then stops. Idempotent. */
  close(): void {
    if (this.#closed) return;
    for (const itemId of [...this.#awaitingText.keys()]) this.#storeCut(itemId);
    for (const t of this.#items.values()) {
      if (t.transcript.trim() === "") continue;
      const heard = Math.min(this.#o.audio.playedMs(t.itemId), t.receivedMs);
      const whole = t.audioDone && heard >= t.receivedMs;
      this.#store(t, whole ? t.transcript : heardText(t, heard), !whole);
    }
    this.#closed = true;
    this.#timers.clear();
  }

  /** The item's record, opened by its first audio or transcript delta. */
  #track(itemId: string, responseId: string): Item {
    const known = this.#items.get(itemId);
    if (known) return known;
    const queued = this.#o.audio.queuedMs();
    // Nothing queued: every earlier item has been heard in full.
    if (queued === 0) { for (const t of this.#items.values()) if (t.audioDone) this.#settle(t); }
    const t: Item = {
      itemId,
      responseId,
      receivedMs: 0,
      audioDone: false,
      startedAt: this.#o.clock() + queued,
      transcript: "",
      settled: false,
    };
    this.#items.set(itemId, t);
    return t;
  }

  #settle(t: Item): void {
    t.settled = true;
    if (this.#stored.has(t.itemId)) this.#items.delete(t.itemId);
  }

  #storeWhenHeard(t: Item): void {
    if (this.#stored.has(t.itemId) || this.#closed) return;
    const remaining = t.receivedMs - this.#o.audio.playedMs(t.itemId);
    if (!t.audioDone || remaining > 0) {
      this.#timers.cancel(t.poll);
      t.poll = this.#timers.after(
        Math.max(HEARD_POLL_MS, remaining),
        () => this.#storeWhenHeard(t),
      );
      return;
    }
    this.#store(t, t.transcript, false);
    if (t.settled) this.#items.delete(t.itemId);
  }

  /**
   * The caller heard `heardMs` of an item whose words had not arrived when
   * they cut it off (text trails audio): its line waits for them, bounded.
   */
  #awaitText(t: Item, heardMs: number): void {
    this.#awaitingText.set(t.itemId, { t, heardMs });
    t.poll = this.#timers.after(CUT_TRANSCRIPT_WAIT_MS, () => this.#storeCut(t.itemId));
  }

  #storeCut(itemId: string): void {
    const cut = this.#awaitingText.get(itemId);
    if (!cut) return;
    this.#awaitingText.delete(itemId);
    // It ended when the caller cut in, not when its words arrived.
    this.#store(cut.t, heardText(cut.t, cut.heardMs), true, cut.t.startedAt + cut.heardMs);
  }

  /** The one place a line is stored: at most once per item. */
  #store(t: Item, text: string, interrupted: boolean, endedAt?: number): void {
    if (this.#stored.has(t.itemId)) return;
    this.#stored.add(t.itemId);
    this.#timers.cancel(t.poll);
    const trimmed = text.trim();
    if (trimmed === "") return;
    const now = this.#o.clock();
    this.#o.onTranscript({
      speaker: "agent",
      text: trimmed,
      startedAt: t.startedAt,
      endedAt: endedAt ?? (interrupted ? Math.max(t.startedAt, now) : t.startedAt + t.receivedMs),
      ...(interrupted ? { interrupted } : {}),
    });
  }
}

/** The part of an item's transcript the caller heard: `heardMs` of its received audio. */
function heardText(t: Item, heardMs: number): string {
  return truncateText(t.transcript, t.receivedMs > 0 ? heardMs / t.receivedMs : 0);
}
