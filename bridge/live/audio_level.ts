/**
 * How loud each side of a call is, for the console's live view: the media
 * path adds each 20 ms frame's mean square (which it already computes for the
 * caller's voice detection), and the live publisher takes the window's RMS in
 * dBFS twice a second. Adding is one addition; the logarithm runs per take.
 *
 * @module
 */

/** The quietest level reported, dBFS; digital silence reads as this. */
export const LEVEL_FLOOR_DBFS = -90;

const FULL_SCALE_SQUARED = 32768 * 32768;

/** Mean square of int16 samples → dBFS, whole decibels, floored at {@linkcode LEVEL_FLOOR_DBFS}. */
export function dbfs(meanSquare: number): number {
  if (!(meanSquare > 0)) return LEVEL_FLOOR_DBFS;
  const db = 10 * Math.log10(meanSquare / FULL_SCALE_SQUARED);
  return Math.max(LEVEL_FLOOR_DBFS, Math.min(0, Math.round(db)));
}

/** Mean square of a frame of int16 samples. */
export function meanSquare(pcm: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return pcm.length === 0 ? 0 : sum / pcm.length;
}

/** One side's level since the last {@linkcode LevelWindow.take}. */
export class LevelWindow {
  #sum = 0;
  #frames = 0;

  /** Adds one frame's mean square. */
  add(frameMeanSquare: number): void {
    this.#sum += frameMeanSquare;
    this.#frames++;
  }

  /** RMS of the frames added since the last take, dBFS; null when none were. Starts a new window. */
  take(): number | null {
    if (this.#frames === 0) return null;
    const level = dbfs(this.#sum / this.#frames);
    this.#sum = 0;
    this.#frames = 0;
    return level;
  }
}

/** Both sides of a call. */
export interface CallLevels {
  readonly caller: LevelWindow;
  readonly agent: LevelWindow;
}
