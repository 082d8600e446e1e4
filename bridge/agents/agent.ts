/**
 * The contract between a call session and whatever speaks to the caller.
 *
 * Audio crosses this boundary as 24 kHz mono int16 PCM: Opus decodes to and
 * encodes from 24 kHz and OpenAI Realtime's `audio/pcm` is 24 kHz, so no stage
 * in between resamples.
 *
 * @module
 */
import type { CallerContext } from "../../lib/bridge_api/schema.ts";
import type { UsageIncrement } from "../../lib/realtime/usage.ts";

/** Who is calling and from which button or link (`lib/bridge_api/schema.ts`). */
export type { CallerContext };

/** One side of the conversation, as stored in `voice_call_transcripts`. */
export type Speaker = "caller" | "agent";

/** A finished utterance of either side. */
export interface TranscriptEntry {
  speaker: Speaker;
  text: string;
  /** When the utterance started, epoch ms. */
  startedAt: number;
  /** When the utterance ended (or was cut off), epoch ms. */
  endedAt: number;
  /** True when the agent was interrupted and `text` was truncated to what was heard. */
  interrupted?: boolean;
}

/**
 * Where an agent's voice goes: the session's outbound player, which paces it
 * onto RTP 20 ms at a time. Tags let the agent ask how much of one utterance
 * the caller actually heard (for barge-in truncation).
 */
export interface AudioOut {
  /** Queue agent audio (any length) under a tag, usually the Realtime item id. */
  enqueue(pcm: Int16Array, tag: string): void;
  /** Drop everything queued; returns how many ms of each tag were played. */
  flush(): Map<string, number>;
  /** Milliseconds of `tag` already sent to the caller. */
  playedMs(tag: string): number;
  /** Milliseconds of audio still queued (all tags). */
  queuedMs(): number;
}

/** What a session hands an agent when it starts it. */
export interface AgentContext {
  callId: string;
  /** The caller's name, user id and entry point, as Meta sent them (bounded). */
  caller?: CallerContext;
  /**
   * A business-initiated call's own instructions, variables already filled
   * (`call_purpose.ts`): they replace the configured ones for this call.
   */
  instructions?: string | undefined;
  /** A business-initiated call's first words, spoken when the user picks up. */
  greeting?: string | undefined;
  /** The outbound player. */
  audio: AudioOut;
  /** Transcripts of both sides, as they complete. */
  onTranscript(entry: TranscriptEntry): void;
  /**
   * Words of an utterance still being spoken (or transcribed), for the live
   * view; `itemId` names the utterance. Its finished line still comes by `onTranscript`.
   */
  onTranscriptDelta?(speaker: Speaker, itemId: string, delta: string): void;
  /** Named call event for the database and logs (e.g. `barge_in`, `tool_call`). */
  onEvent(name: string, data?: Record<string, unknown>): void;
  /** The agent wants the call over (e.g. `end_call` tool); the session hangs up after queued audio plays. */
  requestHangup(reason: string): void;
  /** The agent failed beyond recovery; the session terminates the call and records why. */
  onFatal(error: Error): void;
  /** What the agent's provider billed for the call so far, as it accrues (stored at once). */
  onUsage(usage: UsageIncrement): void;
  /** Transcript so far, for an agent that must rebuild its context after a reconnect. */
  history(): readonly TranscriptEntry[];
  /** The caller started speaking (turn latency: an unanswered end of speech is dropped). */
  onCallerSpeechStarted?(): void;
  /**
   * The caller stopped speaking `callerAudioMs` into the caller audio the
   * session has pushed to the agent (20 ms a frame, from the first frame):
   * turn latency is measured from there to the answer's first frame on the wire.
   */
  onCallerSpeechEnded?(callerAudioMs: number): void;
}

/** A conversational agent behind one call. */
export interface Agent {
  /** Connect and be ready; called once when the session is created (before Meta accepts). */
  start(ctx: AgentContext): Promise<void>;
  /** Meta accepted the call and media flows: greet now. */
  callAccepted(): void;
  /** One 20 ms frame (480 samples) of the caller's voice, in order, lost frames already concealed. */
  pushAudio(frame: Int16Array): void;
  /** A DTMF digit the caller pressed (RFC 4733), once per press. */
  pushDtmf(digit: string): void;
  /** Say goodbye (max call length reached); the session hangs up when the audio has played. */
  sayGoodbye(reason: string): void;
  /** Release sockets and timers. Idempotent. */
  close(reason: string): Promise<void>;
}
