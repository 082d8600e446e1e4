/**
 * `RECORDING_ANNOUNCEMENT`: the notice that the call is recorded, before the
 * agent's first words (many jurisdictions require one).
 *
 * Two forms, told apart by the value:
 * - a path to a `.wav` file (mono or the first channel, any rate): the
 *   bridge itself plays it to the caller, queued ahead of the agent's audio
 *   when the call is accepted. Works with every agent, including the echo agent.
 * - any other text: the OpenAI agent is told to say it verbatim as its first
 *   words ({@linkcode announcementInstruction}). The echo agent has no speech
 *   synthesis: with text, it says nothing and the bridge logs
 *   `RECORDING_ANNOUNCEMENT_NOT_SPOKEN` on each call; use a WAV with it.
 *
 * @module
 */
import { decodeWav } from "../../lib/audio/wav.ts";
import { resampleClip } from "../../lib/audio/resample.ts";
import { OPUS_PCM_RATE } from "../../lib/audio/opus.ts";

/** A loaded announcement. */
export type Announcement =
  | { kind: "audio"; pcm: Int16Array; ms: number }
  | { kind: "text"; text: string };

/** The tag the announcement's audio is queued under in the OutboundPlayer. */
export const ANNOUNCEMENT_TAG = "recording-announcement";

/**
 * Reads `RECORDING_ANNOUNCEMENT` once at start-up: a `.wav` path is decoded and
 * resampled to 24 kHz (a bad file throws, naming the variable); anything else is text.
 */
export function loadAnnouncement(
  value: string | undefined,
  readFile: (path: string) => Uint8Array = Deno.readFileSync,
): Announcement | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (!/\.wav$/i.test(v)) return { kind: "text", text: v };
  let bytes: Uint8Array;
  try {
    bytes = readFile(v);
  } catch (error) {
    throw new Error(
      `invalid bridge configuration:\n  RECORDING_ANNOUNCEMENT: cannot read ${v} (${error})`,
    );
  }
  const wav = decodeWav(bytes);
  if ("error" in wav) {
    throw new Error(`invalid bridge configuration:\n  RECORDING_ANNOUNCEMENT: ${v}: ${wav.error}`);
  }
  const pcm = resampleClip(wav.samples, wav.sampleRate, OPUS_PCM_RATE);
  return { kind: "audio", pcm, ms: Math.round(pcm.length / (OPUS_PCM_RATE / 1000)) };
}

/** Queues an audio announcement on the call's outbound player; false for a text one. */
export function queueAnnouncement(
  player: { enqueue(pcm: Int16Array, tag: string, options: { uninterruptible: true }): void },
  announcement: Announcement | undefined,
): boolean {
  if (announcement?.kind !== "audio") return false;
  // A barge-in must not cut the notice short: the caller hears it whole.
  player.enqueue(announcement.pcm, ANNOUNCEMENT_TAG, { uninterruptible: true });
  return true;
}

/** The line for the OpenAI agent's instructions that makes it say `text` first, word for word. */
export function announcementInstruction(text: string): string {
  return `Before anything else, your very first words on this call must be exactly: "${text}" ` +
    "Say it verbatim, then continue.";
}
