/**
 * A call session as the live side sees it, without media or agent, and a
 * bus that keeps what was NOTIFYed.
 *
 * @module
 */
import { LevelWindow } from "./audio_level.ts";
import { LiveTranscript } from "./live_transcript.ts";
import type { LiveSession } from "./live_snapshot.ts";
import type { LiveBus } from "./live_publisher.ts";

/** A {@linkcode LiveSession} that records how it was ended. */
export class FakeLiveSession implements LiveSession {
  state = "active";
  endReason: string | undefined;
  readonly createdAt: number;
  readonly timings: Record<string, number> = {};
  readonly media = { levels: { caller: new LevelWindow(), agent: new LevelWindow() } };
  readonly live = new LiveTranscript();
  readonly ends: { reason: string; notifyMeta: boolean }[] = [];

  /** A session of `callId` the bridge took at `createdAt`. */
  constructor(readonly callId: string, createdAt = 1_700_000_000_000) {
    this.createdAt = createdAt;
  }

  /** Records the end and moves to `ended`. */
  end(reason: string, notifyMeta: boolean): Promise<void> {
    this.ends.push({ reason, notifyMeta });
    this.endReason ??= reason;
    this.state = "ended";
    return Promise.resolve();
  }
}

/** A bus that delivers in-process and keeps every NOTIFY. */
export class MemoryBus implements LiveBus {
  readonly sent: { channel: string; payload: string }[] = [];
  #listeners = new Map<string, Set<(p: string) => void>>();

  /** Keeps the payload and delivers it to this bus's listeners. */
  notify(channel: string, payload: string): Promise<void> {
    this.sent.push({ channel, payload });
    for (const l of this.#listeners.get(channel) ?? []) l(payload);
    return Promise.resolve();
  }

  /** Registers `onPayload` until the returned function is called. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    const set = this.#listeners.get(channel) ?? new Set();
    this.#listeners.set(channel, set);
    set.add(onPayload);
    return Promise.resolve(() => {
      set.delete(onPayload);
      return Promise.resolve();
    });
  }

  /** Payloads sent on `channel`, parsed. */
  on(channel: string): unknown[] {
    return this.sent.filter((s) => s.channel === channel).map((s) => JSON.parse(s.payload));
  }
}
