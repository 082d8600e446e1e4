/**
 * What a Realtime session is told: the GA `session.update` payload and, after
 * a reconnect, the conversation so far.
 *
 * @module
 */
import type { TranscriptEntry } from "./agent.ts";
import type {
  ClientItem,
  Eagerness,
  SessionConfig,
  Transcription,
  Truncation,
  TurnDetection,
} from "../../lib/realtime/session.ts";
import { sessionTools, type ToolDefinition } from "./tools.ts";

/** The agent settings that shape the session. */
export interface SessionSettings {
  model: string;
  /** The system prompt. */
  instructions: string;
  voice: string;
  turnDetection: "server_vad" | "semantic_vad";
  /** Server VAD only: speech threshold, 0 to 1. @default 0.5 */
  vadThreshold?: number;
  /** Server VAD only: silence that ends the caller's turn, ms. @default 500 */
  vadSilenceMs?: number;
  /** Semantic VAD only. */
  vadEagerness: Eagerness;
  /** Server VAD only: the model re-engages a caller silent this long; 0 turns it off. */
  idleTimeoutMs: number;
  /** Caller transcription model. */
  transcriptionModel: string;
  /** ISO-639-1 codes of the caller's language(s); empty: detected. */
  transcriptionLanguages: readonly string[];
  /** Context for the transcription model (names, jargon); empty: none. */
  transcriptionPrompt: string;
  noiseReduction: "near_field" | "far_field" | null;
  truncation: Truncation;
  /** HTTP function tools; `end_call` is always added. */
  tools: readonly ToolDefinition[];
}

const PCM = { type: "audio/pcm", rate: 24000 } as const;

/**
 * Models that take several language hints (`languages`), per openai-node's
 * `AudioTranscription` ("Supported by `gpt-transcribe` and
 * `gpt-live-transcribe`"); the others take one `language`. Whether these two
 * also accept `language` is not documented, so they get the list.
 */
const MULTI_LANGUAGE_MODELS: ReadonlySet<string> = new Set([
  "gpt-transcribe",
  "gpt-live-transcribe",
]);
/** "Prompt is not supported with `gpt-realtime-whisper` in GA Realtime sessions." */
const NO_PROMPT_MODELS: ReadonlySet<string> = new Set(["gpt-realtime-whisper"]);

/**
 * Both VADs create responses and interrupt them themselves: barge-in needs no
 * round trip, and the agent never sends `response.cancel` (see openai.ts).
 */
function turnDetection(s: SessionSettings): TurnDetection {
  return s.turnDetection === "server_vad"
    ? {
      type: "server_vad",
      threshold: s.vadThreshold ?? 0.5,
      prefix_padding_ms: 300,
      silence_duration_ms: s.vadSilenceMs ?? 500,
      create_response: true,
      interrupt_response: true,
      idle_timeout_ms: s.idleTimeoutMs > 0 ? s.idleTimeoutMs : null,
    }
    : {
      type: "semantic_vad",
      eagerness: s.vadEagerness,
      create_response: true,
      interrupt_response: true,
    };
}

/** The caller transcription settings each model understands. */
export function transcription(s: SessionSettings): Transcription {
  const model = s.transcriptionModel;
  const out: Transcription = { model };
  const [first] = s.transcriptionLanguages;
  if (first !== undefined) {
    if (MULTI_LANGUAGE_MODELS.has(model)) out.languages = [...s.transcriptionLanguages];
    else out.language = first;
  }
  if (s.transcriptionPrompt !== "" && !NO_PROMPT_MODELS.has(model)) {
    out.prompt = s.transcriptionPrompt;
  }
  return out;
}

/** The `session` of `session.update`: 24 kHz PCM both ways, audio out only. */
export function sessionConfig(s: SessionSettings): SessionConfig {
  return {
    type: "realtime",
    model: s.model,
    instructions: s.instructions,
    output_modalities: ["audio"],
    audio: {
      input: {
        format: PCM,
        noise_reduction: s.noiseReduction ? { type: s.noiseReduction } : null,
        transcription: transcription(s),
        turn_detection: turnDetection(s),
      },
      output: { format: PCM, voice: s.voice },
    },
    tools: sessionTools(s.tools),
    tool_choice: "auto",
    truncation: s.truncation,
  };
}

const SUMMARY_INTRO = "[The connection to this phone call was reset and has been restored. " +
  "This is the conversation so far, your lines marked Agent:]";
const SUMMARY_OUTRO = "[Carry on the call from here, speaking as before. " +
  "Do not greet the caller again and do not mention the reset.]";

/**
 * The last `limit` non-empty lines of `history` as one user message, to give
 * a new session the call so far; null when there is nothing to tell.
 *
 * Replaying the agent's lines as assistant text items can make the model
 * answer in text only, leaving the caller in silence ("The API/model forgets
 * that it can do audio, if you do a series of `conversation.item.create`
 * calls", pipecat's `open_ai_realtime_adapter.py`; also
 * openai/openai-realtime-api-beta#72, still reported after GA). pipecat's
 * workaround is this one: the history in a single user `input_text` message.
 * OpenAI has not confirmed or fixed the behaviour for GA.
 */
export function historySummary(
  history: readonly TranscriptEntry[],
  limit: number,
): ClientItem | null {
  const lines = history.slice(-limit).filter((h) => h.text.trim() !== "").map((h) =>
    `${h.speaker === "caller" ? "Caller" : "Agent"}: ${h.text.trim()}`
  );
  if (lines.length === 0) return null;
  const text = [SUMMARY_INTRO, ...lines, SUMMARY_OUTRO].join("\n");
  return { type: "message", role: "user", content: [{ type: "input_text", text }] };
}
