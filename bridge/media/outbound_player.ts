/**
 * The agent's voice on its way to the caller: a queue of 24 kHz PCM that the
 * session's frame clock drains exactly 20 ms (480 samples) per tick, padding
 * with silence when the agent is quiet so Meta never sees a media gap.
 *
 * It counts samples actually handed to the encoder per tag (the Realtime item
 * id), which is what barge-in truncation needs: audio the caller heard, not
 * wall-clock time since the first delta.
 *
 * @module
 */
import type { AudioOut } from "../agents/agent.ts";

const SAMPLES_PER_MS = 24;
/** Played-ms records kept per call; older tags are forgotten. */
const MAX_TAGS = 64;

interface Chunk {
  pcm: Int16Array;
  tag: string;
  offset: number;
  /** Survives `flush()`: a notice the caller must hear whole (the recording announcement). */
  keep: boolean;
}

/** The outbound half of a call's media path, as the agent sees it. */
export class OutboundPlayer implements AudioOut {
  readonly frameSamples: number;
  #queue: Chunk[] = [];
  #queuedSamples = 0;
  #played = new Map<string, number>();
  #frame: Int16Array;
  #idleWaiters: Array<() => void> = [];
  /** Frames that carried agent audio (not pure silence), for stats. */
  voicedFrames = 0;
  /** Frames of padding silence, for stats. */
  silentFrames = 0;
  /** Consecutive pure-silence frames up to the last `nextFrame()`. */
  silentRun = 0;
  /** The tag whose audio starts the last `nextFrame()`; `undefined` for a silent frame. */
  lastFrameTag: string | undefined;

  /** @param frameSamples samples per frame. @default 480 (20 ms at 24 kHz) */
  constructor(frameSamples = 480) {
    this.frameSamples = frameSamples;
    this.#frame = new Int16Array(frameSamples);
  }

  /**
   * Queues agent audio under `tag`. Empty chunks are ignored. `uninterruptible`
   * audio is not dropped by {@linkcode flush} (a barge-in): a legal notice must
   * be heard whole.
   */
  enqueue(pcm: Int16Array, tag: string, options: { uninterruptible?: boolean } = {}): void {
    if (pcm.length === 0) return;
    this.#queue.push({ pcm, tag, offset: 0, keep: options.uninterruptible === true });
    this.#queuedSamples += pcm.length;
    if (!this.#played.has(tag)) {
      this.#played.set(tag, 0);
      if (this.#played.size > MAX_TAGS) {
        this.#played.delete(this.#played.keys().next().value!);
      }
    }
  }

  /**
   * Drops the queued audio but the uninterruptible; returns the ms played of
   * every dropped tag that was still queued.
   */
  flush(): Map<string, number> {
    const result = new Map<string, number>();
    for (const chunk of this.#queue) {
      if (!chunk.keep) result.set(chunk.tag, this.playedMs(chunk.tag));
    }
    this.#queue = this.#queue.filter((chunk) => chunk.keep);
    this.#queuedSamples = this.#queue.reduce((n, c) => n + c.pcm.length - c.offset, 0);
    if (this.#queuedSamples === 0) this.#notifyIdle();
    return result;
  }

  /** Milliseconds of `tag` handed to the encoder so far. */
  playedMs(tag: string): number {
    return (this.#played.get(tag) ?? 0) / SAMPLES_PER_MS;
  }

  /** Milliseconds still queued. */
  queuedMs(): number {
    return this.#queuedSamples / SAMPLES_PER_MS;
  }

  /** Resolves once the queue is empty (immediately when it already is). */
  idle(): Promise<void> {
    if (this.#queuedSamples === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * The next 20 ms frame: queued audio, topped up with silence. The returned
   * array is reused by the next call, so encode it before asking again.
   */
  nextFrame(): Int16Array {
    const frame = this.#frame;
    let filled = 0;
    this.lastFrameTag = this.#queue[0]?.tag;
    while (filled < frame.length && this.#queue.length > 0) {
      const chunk = this.#queue[0]!;
      const take = Math.min(frame.length - filled, chunk.pcm.length - chunk.offset);
      frame.set(chunk.pcm.subarray(chunk.offset, chunk.offset + take), filled);
      filled += take;
      chunk.offset += take;
      this.#played.set(chunk.tag, (this.#played.get(chunk.tag) ?? 0) + take);
      if (chunk.offset === chunk.pcm.length) this.#queue.shift();
    }
    this.#queuedSamples -= filled;
    if (filled < frame.length) frame.fill(0, filled);
    if (filled > 0) {
      this.voicedFrames++;
      this.silentRun = 0;
    } else {
      this.silentFrames++;
      this.silentRun++;
    }
    if (filled > 0 && this.#queuedSamples === 0) this.#notifyIdle();
    return frame;
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
