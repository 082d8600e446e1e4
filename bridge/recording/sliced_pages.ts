/**
 * An Ogg writer's pages handed out a slice of frames at a time, with a yield
 * to the event loop after each slice: a long call's render neither sits in
 * memory as one file nor keeps live calls' ticks waiting. Both renders
 * (stereo_render.ts, stereo_transcode.ts) stream their pages through it.
 *
 * @module
 */
import type { OggOpusWriter } from "./ogg_opus_writer.ts";

/** Streams `ogg`'s completed pages to `write` every `yieldEvery` frames. */
export class SlicedPages {
  /** Bytes handed to `write` so far. */
  bytes = 0;
  readonly #ogg: OggOpusWriter;
  readonly #write: (pages: Uint8Array[]) => Promise<void>;
  readonly #yieldEvery: number;

  /** Pages of `ogg` go to `write`; a slice is `yieldEvery` frames. */
  constructor(
    ogg: OggOpusWriter,
    write: (pages: Uint8Array[]) => Promise<void>,
    yieldEvery: number,
  ) {
    this.#ogg = ogg;
    this.#write = write;
    this.#yieldEvery = yieldEvery;
  }

  /** True when frame `f` (from 0) is the last of a slice. */
  endsSlice(f: number): boolean {
    return f % this.#yieldEvery === this.#yieldEvery - 1;
  }

  /** Hands out the pages completed so far, then yields to the event loop. */
  async handOff(): Promise<void> {
    await this.flush();
    await new Promise((r) => setTimeout(r, 0));
  }

  /** Hands out the pages completed so far. */
  async flush(): Promise<void> {
    const pages = this.#ogg.pages();
    this.bytes += pages.reduce((n, p) => n + p.length, 0);
    if (pages.length > 0) await this.#write(pages);
  }
}
