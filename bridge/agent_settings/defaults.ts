/**
 * The environment's agent defaults ({@linkcode AgentDefaults}) from the
 * bridge's configuration: what the console shows as each setting's default.
 *
 * @module
 */
import { type BridgeConfig, loadConfig, readTextFileIfExists } from "../config.ts";
import type { AgentDefaults } from "../../lib/agent_settings/defaults.ts";

/** The defaults `config` gives every number without settings. */
export function agentDefaultsFromConfig(config: BridgeConfig): AgentDefaults {
  const { env } = config;
  return {
    agent: config.agent,
    instructions: config.instructions,
    greeting: null,
    voice: env.AGENT_VOICE,
    model: env.OPENAI_REALTIME_MODEL,
    languages: env.AGENT_TRANSCRIPTION_LANGUAGE ?? [],
    tools: config.tools.map((t) => t.name),
    turnDetection: env.AGENT_TURN_DETECTION,
    // The session sends these two as fixed values (bridge/agents/session_config.ts).
    vadThreshold: 0.5,
    vadSilenceMs: 500,
    vadEagerness: env.AGENT_VAD_EAGERNESS,
    recording: config.recording.enabled,
    maxCallSeconds: Math.round(env.MAX_CALL_MINUTES * 60),
  };
}

/** The variables that shape an agent's defaults. */
const AGENT_VARIABLE =
  /^(AGENT(_\w+)?|OPENAI_API_KEY|OPENAI_REALTIME_MODEL|MAX_CALL_MINUTES|CALLER_SILENCE_TIMEOUT_S|RECORDING)$/;

/**
 * The defaults the environment `vars` gives (a console started alone reads
 * the bridge's variables). A variable the bridge would refuse is left out
 * rather than failing the console: it shows the built-in default.
 */
export function agentDefaultsFromEnv(vars: Record<string, string | undefined>): AgentDefaults {
  const relevant = Object.fromEntries(Object.entries(vars).filter(([k]) => AGENT_VARIABLE.test(k)));
  // The console needs no bridge secret; a stand-in satisfies the bridge's schema.
  const secret = { VOICE_BRIDGE_SECRET: "console-reads-defaults-only" };
  try {
    return agentDefaultsFromConfig(loadConfig({ ...relevant, ...secret }, readTextFileIfExists));
  } catch {
    // One bad variable: the built-in defaults, which always load.
    return agentDefaultsFromConfig(loadConfig(secret));
  }
}
