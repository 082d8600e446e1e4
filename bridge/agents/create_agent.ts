/**
 * Picks the agent behind each call from the config (`AGENT=openai|echo`;
 * `openai` by default when `OPENAI_API_KEY` is set, else `echo`).
 *
 * @module
 */
import type { BridgeConfig } from "../config.ts";
import type { Agent } from "./agent.ts";
import { EchoAgent } from "./echo.ts";
import { OpenAIRealtimeAgent } from "./openai.ts";

/** Returns a factory that builds a fresh agent for each call. */
export function createAgentFactory(config: BridgeConfig): (callId: string) => Agent {
  const { env } = config;
  if (config.agent === "echo" || !env.OPENAI_API_KEY) return () => new EchoAgent();
  const apiKey = env.OPENAI_API_KEY;
  return () =>
    new OpenAIRealtimeAgent({
      apiKey,
      url: env.OPENAI_REALTIME_URL,
      model: env.OPENAI_REALTIME_MODEL,
      instructions: config.instructions,
      voice: env.AGENT_VOICE,
      turnDetection: env.AGENT_TURN_DETECTION,
      transcriptionModel: env.AGENT_TRANSCRIPTION_MODEL,
      tools: config.tools,
    });
}
