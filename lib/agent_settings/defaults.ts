/**
 * What a number without a given setting gets: the bridge's environment, as
 * the console shows it (placeholders of the agent settings form).
 *
 * @module
 */
import type { Eagerness } from "../realtime/session.ts";

/** The environment's value of each agent setting. */
export interface AgentDefaults {
  /** `openai` or `echo`: with `echo`, only recording, length and call hours matter. */
  agent: "openai" | "echo";
  instructions: string;
  /** `null`: the model greets in its own words. */
  greeting: string | null;
  voice: string;
  model: string;
  /** ISO-639-1 codes; empty: detected. */
  languages: readonly string[];
  /** Names of the `AGENT_TOOLS` (all enabled by default); `end_call` is always on. */
  tools: readonly string[];
  turnDetection: "server_vad" | "semantic_vad";
  vadThreshold: number;
  vadSilenceMs: number;
  vadEagerness: Eagerness;
  recording: boolean;
  maxCallSeconds: number;
}
