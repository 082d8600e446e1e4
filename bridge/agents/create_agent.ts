/**
 * Picks the agent behind each call from the config (`AGENT=openai|echo`;
 * `openai` by default when `OPENAI_API_KEY` is set, else `echo`). Built once
 * at start-up, it warns then about a configured OpenAI model that is retired
 * or scheduled for shutdown (`OPENAI_MODEL_DEPRECATED`).
 *
 * @module
 */
import { getLogger, type Logger } from "@logtape/logtape";
import type { BridgeConfig } from "../config.ts";
import type { Agent } from "./agent.ts";
import { EchoAgent } from "./echo.ts";
import { warnRetiredModels } from "./model_lifecycle.ts";
import { OpenAIRealtimeAgent, type OpenAIRealtimeConfig } from "./openai.ts";

/** Returns a factory that builds a fresh agent for each call. */
export function createAgentFactory(
  config: BridgeConfig,
  logger: Logger = getLogger(["bridge", "openai"]),
): (callId: string) => Agent {
  const { env } = config;
  if (config.agent === "echo" || !env.OPENAI_API_KEY) return () => new EchoAgent();
  const apiKey = env.OPENAI_API_KEY;
  warnRetiredModels(logger, {
    realtime: env.OPENAI_REALTIME_MODEL,
    transcription: env.AGENT_TRANSCRIPTION_MODEL,
  });
  const agentConfig = openAIAgentConfig(config, apiKey, logger);
  return () => new OpenAIRealtimeAgent(agentConfig);
}

/**
 * The OpenAI agent's configuration from the bridge's variables: the defaults
 * per-number settings start from (bridge/agent_settings/call_settings.ts).
 */
export function openAIAgentConfig(
  config: BridgeConfig,
  apiKey: string,
  logger: Logger,
): OpenAIRealtimeConfig {
  const { env } = config;
  return {
    apiKey,
    url: env.OPENAI_REALTIME_URL,
    model: env.OPENAI_REALTIME_MODEL,
    instructions: config.instructions,
    voice: env.AGENT_VOICE,
    turnDetection: env.AGENT_TURN_DETECTION,
    vadEagerness: env.AGENT_VAD_EAGERNESS,
    idleTimeoutMs: env.AGENT_IDLE_TIMEOUT_MS,
    transcriptionModel: env.AGENT_TRANSCRIPTION_MODEL,
    transcriptionLanguages: env.AGENT_TRANSCRIPTION_LANGUAGE ?? [],
    transcriptionPrompt: env.AGENT_TRANSCRIPTION_PROMPT ?? "",
    noiseReduction: env.AGENT_NOISE_REDUCTION === "off" ? null : env.AGENT_NOISE_REDUCTION,
    truncation: env.AGENT_TRUNCATION,
    tools: config.tools,
    logger,
  };
}
