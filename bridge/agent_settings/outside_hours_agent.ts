/**
 * The agent of a call that comes outside its number's call hours: the call
 * is answered, a short message is played, and the call ends with the reason
 * {@linkcode OUTSIDE_HOURS_REASON}.
 *
 * - With OpenAI, the model is told to say the message word for word and
 *   nothing else, then the call hangs up (as after a goodbye).
 * - With the echo agent, no key, or an OpenAI session that would not start,
 *   a built-in announcement tone plays (the "special information tone"
 *   telephone networks play before a recorded notice), followed by the
 *   message spoken by `espeak-ng` where it is installed, then the call ends.
 *   The message is kept in the call's events.
 *
 * The caller is not listened to: their audio never reaches the model, so
 * nothing they say can start a conversation.
 *
 * @module
 */
import { callLogger } from "../log.ts";
import type { Agent, AgentContext } from "../agents/agent.ts";
import { speakLocally } from "../agents/local_speech.ts";
import { toneSequence } from "../../lib/audio/tone.ts";

/** `end_reason` of a call that came outside hours. */
export const OUTSIDE_HOURS_REASON = "outside_hours";

/** The event stored when the notice starts. */
export const OUTSIDE_HOURS_EVENT = "outside_hours";

/** The tag the built-in announcement is queued under. */
export const OUTSIDE_HOURS_TAG = "outside-hours";

/** An agent that can say one exact message and hang up (the OpenAI agent). */
export interface MessageSpeaker extends Agent {
  /** Says `message` verbatim, then asks the session to hang up with `reason`. */
  speakAndHangUp(message: string, reason: string): void;
}

/** What outside-hours calls log. */
export type OutsideHoursLogEvent = "OUTSIDE_HOURS_SPEAKER_FAILED" | "OUTSIDE_HOURS_NOTICE";

/** Frequencies of the special information tone (ITU-T E.180 practice), Hz, 330 ms each. */
export const SIT_TONES_HZ = [950, 1400, 1800] as const;

/** The built-in announcement: the three rising tones, then 200 ms of quiet, at `rate` Hz. */
export function outsideHoursTone(rate = 24000): Int16Array {
  return toneSequence(SIT_TONES_HZ, rate, 0.33, 7000, 0.2);
}

/** Options of {@linkcode OutsideHoursAgent}. */
export interface OutsideHoursAgentOptions {
  /** What the caller is told. */
  message: string;
  /** Says the message; absent: the built-in tone plays, then the local speech. */
  speaker?: MessageSpeaker | undefined;
  /** Local speech of the message without a speaker. @default speakLocally (espeak-ng) */
  speak?: ((text: string) => Promise<Int16Array | undefined>) | undefined;
}

/** Plays the outside-hours notice, then ends the call. */
export class OutsideHoursAgent implements Agent {
  #message: string;
  #speaker: MessageSpeaker | undefined;
  #ctx: AgentContext | undefined;
  #speak: (text: string) => Promise<Int16Array | undefined>;
  #spoken: Promise<Int16Array | undefined> = Promise.resolve(undefined);

  /** Creates the agent; the speaker (if any) starts with it. */
  constructor(options: OutsideHoursAgentOptions) {
    this.#message = options.message;
    this.#speaker = options.speaker;
    this.#speak = options.speak ?? speakLocally;
  }

  /** Starts the speaker; one that fails is replaced by the tone rather than failing the call. */
  async start(ctx: AgentContext): Promise<void> {
    this.#ctx = ctx;
    const speaker = this.#speaker;
    if (!speaker) return this.#speakLocally();
    try {
      await speaker.start(ctx);
    } catch (error) {
      callLogger<OutsideHoursLogEvent>(ctx.callId, "agent_settings")
        .warn("OUTSIDE_HOURS_SPEAKER_FAILED", { error: String(error) });
      this.#speaker = undefined;
      this.#speakLocally();
      await Promise.try(() => speaker.close("speaker_failed")).catch(() => {
        // Already failed; the call goes on with the tone.
      });
    }
  }

  /** Plays the notice, then the call ends once it has been heard. */
  callAccepted(): void {
    const ctx = this.#ctx;
    if (!ctx) return;
    const spoken = this.#speaker ? "model" : "tone";
    callLogger<OutsideHoursLogEvent>(ctx.callId, "agent_settings")
      .info("OUTSIDE_HOURS_NOTICE", { spoken });
    ctx.onEvent(OUTSIDE_HOURS_EVENT, { message: this.#message, spoken });
    if (this.#speaker) {
      this.#speaker.speakAndHangUp(this.#message, OUTSIDE_HOURS_REASON);
      return;
    }
    ctx.audio.enqueue(outsideHoursTone(), OUTSIDE_HOURS_TAG);
    // Synthesised while the call rang; the hang-up waits for the queued audio.
    void this.#spoken.then((pcm) => {
      if (pcm) ctx.audio.enqueue(pcm, OUTSIDE_HOURS_TAG);
      ctx.requestHangup(OUTSIDE_HOURS_REASON);
    });
  }

  #speakLocally(): void {
    this.#spoken = this.#speak(this.#message).catch(() => undefined);
  }

  /** The caller is not listened to outside hours. */
  pushAudio(_frame: Int16Array): void {}

  /** Keys are ignored outside hours. */
  pushDtmf(_digit: string): void {}

  /** A limit came first: end now, with the notice's reason. */
  sayGoodbye(_reason: string): void {
    this.#ctx?.requestHangup(OUTSIDE_HOURS_REASON);
  }

  /** Closes the speaker. */
  async close(reason: string): Promise<void> {
    await this.#speaker?.close(reason);
  }
}
