/**
 * The keyless local agent: it greets when the call is accepted (the configured
 * greeting spoken by `espeak-ng` where installed, else a chime), then plays each
 * caller utterance back once the caller stops speaking. It exercises the whole
 * media path (VAD, queueing, barge-in, transcripts, events) without any key,
 * which is why it is the embedded default.
 *
 * @module
 */
import { concatPcm, rms } from "../../lib/audio/pcm.ts";
import { toneSequence } from "../../lib/audio/tone.ts";
import type { Agent, AgentContext } from "./agent.ts";
import { speakLocally } from "./local_speech.ts";

/** Tuning for {@linkcode EchoAgent}'s energy VAD. */
export interface EchoAgentOptions {
  /** RMS (int16 units) above which a frame counts as speech. @default 500 (≈ -36 dBFS) */
  speechRms?: number;
  /** Consecutive speech frames that start an utterance. @default 2 */
  startFrames?: number;
  /** Silence (ms) that ends an utterance. @default 500 */
  silenceMs?: number;
  /** Longest utterance kept, ms; longer speech is played back in pieces. @default 10000 */
  maxUtteranceMs?: number;
  /** Clock for transcript times. @default Date.now */
  now?: () => number;
  /** Words to greet with (the number's greeting); the chime when absent or unspeakable. */
  greeting?: string | undefined;
  /** Turns the greeting into 24 kHz speech. @default speakLocally (espeak-ng) */
  speak?: (text: string) => Promise<Int16Array | undefined>;
}

const FRAME_MS = 20;

/** Frequencies of the greeting chime, Hz (E5 then A5), 150 ms each at 24 kHz. */
export const CHIME_TONES_HZ = [659.25, 880] as const;

/** Builds the greeting chime: two short tones with raised-cosine edges (no clicks). */
export function chime(rate = 24000): Int16Array {
  return toneSequence(CHIME_TONES_HZ, rate, 0.15, 8000);
}

/** Plays the caller's words back to them. */
export class EchoAgent implements Agent {
  #ctx: AgentContext | undefined;
  #opts: Required<Omit<EchoAgentOptions, "greeting" | "speak">>;
  #greeting: Promise<{ text: string; pcm: Int16Array } | undefined> = Promise.resolve(undefined);
  #speak: (text: string) => Promise<Int16Array | undefined>;
  #greetingText: string;
  #speechRun = 0;
  #silentMs = 0;
  #utterance: Int16Array[] = [];
  #speaking = false;
  #startedAt = 0;
  #count = 0;
  /** Caller frames pushed so far: the caller-audio timeline of turn latency. */
  #frames = 0;
  #closed = false;

  /** Creates an echo agent; see {@linkcode EchoAgentOptions} for the VAD. */
  constructor(options: EchoAgentOptions = {}) {
    this.#opts = {
      speechRms: options.speechRms ?? 500,
      startFrames: options.startFrames ?? 2,
      silenceMs: options.silenceMs ?? 500,
      maxUtteranceMs: options.maxUtteranceMs ?? 10_000,
      now: options.now ?? Date.now,
    };
    this.#greetingText = options.greeting?.trim() ?? "";
    this.#speak = options.speak ?? speakLocally;
  }

  /** Nothing to connect to; the greeting is synthesised now, while the call rings. */
  start(ctx: AgentContext): Promise<void> {
    this.#ctx = ctx;
    // A business-initiated call's first words win over the number's greeting.
    if (ctx.greeting !== undefined) this.#greetingText = ctx.greeting.trim();
    const text = this.#greetingText;
    if (text !== "") {
      this.#greeting = this.#speak(text).then((pcm) => pcm && { text, pcm }, () => undefined);
    }
    return Promise.resolve();
  }

  /** Greets with the spoken greeting, or the chime. */
  callAccepted(): void {
    if (this.#greetingText === "") return this.#chime();
    void this.#greeting.then((spoken) => {
      const ctx = this.#ctx;
      if (!ctx || this.#closed) return;
      if (spoken === undefined) return this.#chime();
      const startedAt = this.#opts.now();
      ctx.audio.enqueue(spoken.pcm, "greeting");
      ctx.onEvent("agent_greeting", { kind: "speech", text: spoken.text });
      ctx.onTranscript({
        speaker: "agent",
        text: spoken.text,
        startedAt,
        endedAt: startedAt + Math.round(spoken.pcm.length / 24),
      });
    });
  }

  /** Energy VAD over each caller frame. */
  pushAudio(frame: Int16Array): void {
    const ctx = this.#ctx;
    this.#frames++;
    if (!ctx || this.#closed) return;
    const voiced = rms(frame) >= this.#opts.speechRms;
    if (!this.#speaking) {
      this.#speechRun = voiced ? this.#speechRun + 1 : 0;
      // Keep the frames that confirmed speech so the playback starts at the onset.
      if (voiced) this.#utterance.push(frame.slice());
      else this.#utterance = [];
      if (this.#speechRun >= this.#opts.startFrames) this.#startSpeech(ctx);
      return;
    }
    this.#utterance.push(frame.slice());
    this.#silentMs = voiced ? 0 : this.#silentMs + FRAME_MS;
    const lengthMs = this.#utterance.length * FRAME_MS;
    if (this.#silentMs >= this.#opts.silenceMs || lengthMs >= this.#opts.maxUtteranceMs) {
      this.#endSpeech(ctx);
    }
  }

  /** Records the digit; the echo agent has no menu. */
  pushDtmf(digit: string): void {
    this.#ctx?.onEvent("dtmf", { digit });
  }

  /** No words to say: hang up once queued audio has played. */
  sayGoodbye(reason: string): void {
    this.#ctx?.requestHangup(reason);
  }

  /** Idempotent. */
  close(_reason: string): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #chime(): void {
    this.#ctx?.audio.enqueue(chime(), "chime");
    this.#ctx?.onEvent("agent_greeting", { kind: "chime" });
  }

  #startSpeech(ctx: AgentContext): void {
    this.#speaking = true;
    this.#silentMs = 0;
    this.#startedAt = this.#opts.now() - this.#utterance.length * FRAME_MS;
    ctx.onCallerSpeechStarted?.();
    // Barge-in: the caller talks over the playback, so stop it at once.
    const flushed = ctx.audio.flush();
    if (flushed.size > 0) ctx.onEvent("barge_in", { playedMs: Object.fromEntries(flushed) });
  }

  #endSpeech(ctx: AgentContext): void {
    // Trailing silence is not worth playing back.
    const voicedFrames = this.#utterance.length - this.#silentMs / FRAME_MS;
    const speech = this.#utterance.slice(0, voicedFrames);
    this.#utterance = [];
    this.#speaking = false;
    this.#speechRun = 0;
    const pcm = concatPcm(speech);
    const endedAt = this.#opts.now();
    const seconds = (pcm.length / 24000).toFixed(1);
    ctx.onTranscript({
      speaker: "caller",
      text: `[${seconds} s of speech]`,
      startedAt: this.#startedAt,
      endedAt,
    });
    const tag = `echo_${++this.#count}`;
    // The caller's last voiced frame, not the end of the silence that confirmed it.
    ctx.onCallerSpeechEnded?.((this.#frames - this.#silentMs / FRAME_MS) * FRAME_MS);
    ctx.audio.enqueue(pcm, tag);
    ctx.onTranscript({
      speaker: "agent",
      text: `[echo of ${seconds} s]`,
      startedAt: endedAt,
      endedAt: endedAt + speech.length * FRAME_MS,
    });
  }
}
