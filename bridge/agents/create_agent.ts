/**
 * Picks the agent behind each call from the config (`AGENT=openai|echo`).
 *
 * @module
 */
import type { BridgeConfig } from "../config.ts";
import type { Agent } from "./agent.ts";
import { EchoAgent } from "./echo.ts";

/** Returns a factory that builds a fresh agent for each call. */
export function createAgentFactory(config: BridgeConfig): (callId: string) => Agent {
  return () => new EchoAgent();
}
