/**
 * The bridge's configuration, read once from the environment and validated
 * with zod so a bad variable stops the process with a message naming it,
 * instead of failing on the first call.
 *
 * @module
 */
import { z } from "zod";
import type { ToolDefinition } from "./agents/tools.ts";
import type { SessionLimits } from "./session/session_deps.ts";

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const flag = (def: boolean) =>
  z.enum(["1", "0", "true", "false", "yes", "no", ""]).default(def ? "true" : "false")
    .transform((v) => v === "1" || v === "true" || v === "yes");

const IceServer = z.object({
  urls: z.string().min(1),
  username: z.string().optional(),
  credential: z.string().optional(),
});

const EnvSchema = z.object({
  BRIDGE_HOST: z.string().default("0.0.0.0"),
  BRIDGE_PORT: int(8080),
  VOICE_BRIDGE_SECRET: z.string().min(16, "VOICE_BRIDGE_SECRET must be at least 16 characters"),
  MAX_SESSIONS: int(100),
  MAX_CPU_PERCENT: z.coerce.number().min(0).max(100).default(85),
  PUBLIC_IP: z.ipv4().optional(),
  RTP_PORT_MIN: z.coerce.number().int().min(1024).max(65535).optional(),
  RTP_PORT_MAX: z.coerce.number().int().min(1024).max(65535).optional(),
  ICE_SERVERS: z.string().optional(),
  ICE_INCLUDE_LOOPBACK: flag(false),
  MEDIA_CONNECT_TIMEOUT_MS: int(10_000),
  MEDIA_REALTIME_PRIORITY: z.coerce.number().int().min(0).max(99).default(10),
  AGENT: z.enum(["openai", "echo"]).optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_REALTIME_URL: z.url().default("wss://api.openai.com/v1/realtime"),
  OPENAI_REALTIME_MODEL: z.string().default("gpt-realtime"),
  AGENT_INSTRUCTIONS: z.string().default(
    "You are a friendly, concise voice assistant answering a WhatsApp call for a business. " +
      "Greet the caller briefly and help them. Keep answers short; this is a phone call.",
  ),
  AGENT_VOICE: z.string().default("marin"),
  AGENT_TURN_DETECTION: z.enum(["server_vad", "semantic_vad"]).default("server_vad"),
  AGENT_TRANSCRIPTION_MODEL: z.string().default("gpt-4o-mini-transcribe"),
  AGENT_TOOLS: z.string().optional(),
  MAX_CALL_MINUTES: z.coerce.number().positive().default(55),
  CALLER_SILENCE_TIMEOUT_S: int(120),
  DRAIN_TIMEOUT_S: int(300),
  WHATSAPP_GRAPH_URL: z.url().default("https://graph.facebook.com/v23.0"),
  WHATSAPP_ACCESS_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warning", "error"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
});

/** Raw, validated environment. */
export type BridgeEnv = z.infer<typeof EnvSchema>;

const ToolsSchema = z.array(z.object({
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  description: z.string().default(""),
  parameters: z.record(z.string(), z.unknown()).default({ type: "object", properties: {} }),
  url: z.url(),
}));

/** The bridge's settled configuration. */
export interface BridgeConfig {
  env: BridgeEnv;
  agent: "openai" | "echo";
  instructions: string;
  tools: ToolDefinition[];
  iceServers: Array<z.infer<typeof IceServer>>;
  portRange: [number, number] | undefined;
}

/** Reads a value that may be inline text or a path to a file holding it. */
export type ReadTextFile = (path: string) => string | undefined;

/** Reads a file from disk, or undefined when it cannot be read: the `readFile` {@linkcode loadConfig} takes outside tests. */
export const readTextFileIfExists: ReadTextFile = (path) => {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
};

/**
 * Validates the environment. `AGENT_INSTRUCTIONS` and `AGENT_TOOLS` may name a
 * file; `readFile` resolves those (injected so tests need no files).
 * Throws an Error listing every bad variable.
 */
export function loadConfig(
  vars: Record<string, string | undefined>,
  readFile: ReadTextFile = () => undefined,
): BridgeConfig {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined && v !== "")),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid bridge configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  const agent = env.AGENT ?? (env.OPENAI_API_KEY ? "openai" : "echo");
  if (agent === "openai" && !env.OPENAI_API_KEY) {
    throw new Error("invalid bridge configuration:\n  OPENAI_API_KEY: required when AGENT=openai");
  }
  const fromFileOrText = (value: string) => readFile(value) ?? value;
  let tools: ToolDefinition[] = [];
  if (env.AGENT_TOOLS) {
    const json = fromFileOrText(env.AGENT_TOOLS);
    const result = ToolsSchema.safeParse(safeJson(json));
    if (!result.success) {
      throw new Error(`invalid bridge configuration:\n  AGENT_TOOLS: ${result.error.message}`);
    }
    tools = result.data;
  }
  let iceServers: BridgeConfig["iceServers"] = [];
  if (env.ICE_SERVERS) {
    const result = z.array(IceServer).safeParse(safeJson(env.ICE_SERVERS));
    if (!result.success) {
      throw new Error(`invalid bridge configuration:\n  ICE_SERVERS: ${result.error.message}`);
    }
    iceServers = result.data;
  }
  let portRange: [number, number] | undefined;
  if (env.RTP_PORT_MIN !== undefined || env.RTP_PORT_MAX !== undefined) {
    const min = env.RTP_PORT_MIN ?? 10000;
    const max = env.RTP_PORT_MAX ?? 60000;
    if (max <= min) {
      throw new Error("invalid bridge configuration:\n  RTP_PORT_MAX: must be above RTP_PORT_MIN");
    }
    portRange = [min, max];
  }
  return {
    env,
    agent,
    instructions: fromFileOrText(env.AGENT_INSTRUCTIONS),
    tools,
    iceServers,
    portRange,
  };
}

/**
 * The limits every call runs under, in the milliseconds a session counts in:
 * the environment speaks minutes (`MAX_CALL_MINUTES`) and seconds
 * (`CALLER_SILENCE_TIMEOUT_S`).
 */
export function sessionLimits(
  env: Pick<
    BridgeEnv,
    "MEDIA_CONNECT_TIMEOUT_MS" | "MAX_CALL_MINUTES" | "CALLER_SILENCE_TIMEOUT_S"
  >,
): SessionLimits {
  return {
    mediaConnectTimeoutMs: env.MEDIA_CONNECT_TIMEOUT_MS,
    maxCallMs: env.MAX_CALL_MINUTES * 60_000,
    callerSilenceTimeoutMs: env.CALLER_SILENCE_TIMEOUT_S * 1000,
  };
}

/** Every secret the configuration holds, for the log filter to blank. */
export function configSecrets(config: BridgeConfig): string[] {
  const { env } = config;
  return [
    env.VOICE_BRIDGE_SECRET,
    env.OPENAI_API_KEY,
    env.WHATSAPP_ACCESS_TOKEN,
    ...config.iceServers.map((s) => s.credential),
  ].filter((v): v is string => v !== undefined && v !== "");
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the schema rejects the raw text, naming the variable.
    return text;
  }
}
