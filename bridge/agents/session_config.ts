/**
 * What a Realtime session is told: the GA `session.update` payload and, after
 * a reconnect, the conversation so far.
 *
 * @module
 */
import type { TranscriptEntry } from "./agent.ts";
import type { ClientItem, SessionConfig, TurnDetection } from "../../lib/realtime/events.ts";
import { sessionTools, type ToolDefinition } from "./tools.ts";

/** The agent settings that shape the session. */
export interface SessionSettings {
  model: string;
  /** The system prompt. */
  instructions: string;
  voice: string;
  turnDetection: "server_vad" | "semantic_vad";
  /** Caller transcription model. */
  transcriptionModel: string;
  noiseReduction: "near_field" | "far_field" | null;
  /** HTTP function tools; `end_call` is always added. */
  tools: readonly ToolDefinition[];
}

const PCM = { type: "audio/pcm", rate: 24000 } as const;

/** Both VADs create and interrupt responses themselves: barge-in needs no round trip. */
function turnDetection(kind: SessionSettings["turnDetection"]): TurnDetection {
  return kind === "server_vad"
    ? {
      type: "server_vad",
      threshold: 0.5,
      prefix_padding_ms: 300,
      silence_duration_ms: 500,
      create_response: true,
      interrupt_response: true,
    }
    : { type: "semantic_vad", eagerness: "auto", create_response: true, interrupt_response: true };
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
        transcription: { model: s.transcriptionModel },
        turn_detection: turnDetection(s.turnDetection),
      },
      output: { format: PCM, voice: s.voice },
    },
    tools: sessionTools(s.tools),
    tool_choice: "auto",
  };
}

/** The last `limit` non-empty lines of `history` as items to re-create in a new session. */
export function historyItems(history: readonly TranscriptEntry[], limit: number): ClientItem[] {
  return history.slice(-limit).filter((h) => h.text.trim() !== "").map((h): ClientItem =>
    h.speaker === "caller"
      ? { type: "message", role: "user", content: [{ type: "input_text", text: h.text }] }
      : { type: "message", role: "assistant", content: [{ type: "output_text", text: h.text }] }
  );
}
