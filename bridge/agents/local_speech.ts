/**
 * Speech without a speech service: `espeak-ng` (Debian's package) says a
 * short text, decoded and resampled to the media path's 24 kHz. The echo
 * agent greets with it and `deno task call` speaks with it, so a newcomer
 * without an OpenAI key still hears the greeting they typed in the console.
 * Robotic, and meant to be: production speech comes from the model.
 *
 * @module
 */
import { decodeWav } from "../../lib/audio/wav.ts";
import { resampleClip } from "../../lib/audio/resample.ts";

/** The media path's rate. */
const RATE = 24_000;

/** Longest text spoken (a greeting or a notice, not a speech). */
export const MAX_LOCAL_SPEECH_CHARS = 500;

/** Options of {@linkcode speakLocally}. */
export interface LocalSpeechOptions {
  /** Gives up (undefined) after this. @default 3_000 */
  timeoutMs?: number;
  /** The espeak-ng binary. @default "espeak-ng" */
  command?: string;
}

/**
 * `text` as 24 kHz mono PCM, or `undefined` when espeak-ng is missing, fails
 * or is too slow: the caller then falls back (a chime, silence), never waits.
 */
export async function speakLocally(
  text: string,
  options: LocalSpeechOptions = {},
): Promise<Int16Array | undefined> {
  const words = text.trim().slice(0, MAX_LOCAL_SPEECH_CHARS);
  if (words === "") return undefined;
  try {
    // The text goes on stdin, never on the command line (`ps` shows that).
    const child = new Deno.Command(options.command ?? "espeak-ng", {
      args: ["--stdin", "--stdout"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(options.timeoutMs ?? 3_000),
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(words));
    await writer.close();
    const { success, stdout } = await child.output();
    return success ? toMediaRate(stdout) : undefined;
  } catch {
    return undefined;
  }
}

function toMediaRate(bytes: Uint8Array): Int16Array | undefined {
  const wav = decodeWav(bytes);
  if ("error" in wav || wav.samples.length === 0) return undefined;
  return resampleClip(wav.samples, wav.sampleRate, RATE);
}
