/**
 * The bridge's configuration, read once from the environment and validated
 * with zod so a bad variable stops the process with a message naming it,
 * instead of failing on the first call.
 *
 * @module
 */
import { z } from "zod";
import type { ToolDefinition } from "./agents/tools.ts";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_REALTIME_MODEL,
  DEFAULT_TRANSCRIPTION_MODEL,
} from "./agents/openai_config.ts";
import { EAGERNESS, IDLE_TIMEOUT_RANGE_MS } from "../lib/realtime/session.ts";
import type { SessionLimits } from "./session/session_deps.ts";
import { parseIceServers } from "./network/ice_servers.ts";
import { splitWebhookSecrets, webhookSecretsProblem } from "../lib/webhooks/standard_webhooks.ts";
import { type AnalysisConfig, loadAnalysisConfig } from "./analysis/analysis_config.ts";
import { type FiguresConfig, loadFiguresConfig } from "./figures/pricing_config.ts";
import { type RecordingConfig, recordingConfigFromEnv } from "./recording/recordings.ts";

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const flag = (def: boolean) =>
  z.enum(["1", "0", "true", "false", "yes", "no", ""]).default(def ? "true" : "false")
    .transform((v) => v === "1" || v === "true" || v === "yes");

/** 0 (off) or the service's range for `idle_timeout_ms`; absent: see {@linkcode defaultIdleTimeoutMs}. */
const idleTimeoutMs = z.coerce.number().int().refine(
  (ms) => ms === 0 || (ms >= IDLE_TIMEOUT_RANGE_MS.min && ms <= IDLE_TIMEOUT_RANGE_MS.max),
  `0 (off) or ${IDLE_TIMEOUT_RANGE_MS.min} to ${IDLE_TIMEOUT_RANGE_MS.max}`,
).optional();

/**
 * The idle timeout when none is set: the agent's default, shortened to at
 * most half the caller-silence hang-up (never below the service's minimum),
 * and off when even that would not come first.
 */
export function defaultIdleTimeoutMs(callerSilenceMs: number): number {
  if (callerSilenceMs === 0) return DEFAULT_IDLE_TIMEOUT_MS;
  const half = Math.round(callerSilenceMs / 2);
  const ms = Math.min(DEFAULT_IDLE_TIMEOUT_MS, Math.max(IDLE_TIMEOUT_RANGE_MS.min, half));
  return ms < callerSilenceMs ? ms : 0;
}

/** `auto`, `disabled`, or a retention ratio (0 to 1) of the conversation kept at each cut. */
const truncation = z.union([
  z.enum(["auto", "disabled"]),
  z.coerce.number().gt(0).max(1).transform((ratio) => ({
    type: "retention_ratio" as const,
    retention_ratio: ratio,
  })),
]).default("auto");

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
  ICE_ALLOW_PRIVATE_CANDIDATES: flag(false),
  // The answer waits for gathering and the Edge Function waits 1.5 s for the answer
  // (lib/bridge_api/client.ts): 800 ms lets TURN over TLS take ~5 round trips of 150 ms
  // and leaves 700 ms for the function's request to reach the bridge and come back.
  ICE_GATHER_TIMEOUT_MS: z.coerce.number().int().min(50).max(
    1400,
    "at most 1400: the answer must reach the Edge Function within its 1.5 s deadline",
  ).default(800),
  ICE_TURN_CA_FILE: z.string().optional(),
  // Only `deno task doctor` and the start-up BRIDGE_NETWORK line ask these (bridge/network/stun_probe.ts).
  STUN_SERVERS: z.string().regex(
    /^\s*(none|[A-Za-z0-9.-]+:\d{1,5}(\s*,\s*[A-Za-z0-9.-]+:\d{1,5})*)\s*$/,
    "comma-separated host:port, or none",
  ).optional(),
  STORE_OUTBOX_PATH: z.string().min(1).default(".data/outbox.jsonl"),
  MEDIA_CONNECT_TIMEOUT_MS: int(10_000),
  MEDIA_REALTIME_PRIORITY: z.coerce.number().int().min(0).max(99).default(10),
  AGENT: z.enum(["openai", "echo"]).optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_REALTIME_URL: z.url().default("wss://api.openai.com/v1/realtime"),
  OPENAI_REALTIME_MODEL: z.string().default(DEFAULT_REALTIME_MODEL),
  AGENT_INSTRUCTIONS: z.string().default(
    "You are a friendly, concise voice assistant answering a WhatsApp call for a business. " +
      "Greet the caller briefly and help them. Keep answers short; this is a phone call.",
  ),
  AGENT_VOICE: z.string().default("marin"),
  AGENT_TURN_DETECTION: z.enum(["server_vad", "semantic_vad"]).default("server_vad"),
  AGENT_VAD_EAGERNESS: z.enum(EAGERNESS).default("auto"),
  AGENT_IDLE_TIMEOUT_MS: idleTimeoutMs,
  AGENT_TRANSCRIPTION_MODEL: z.string().default(DEFAULT_TRANSCRIPTION_MODEL),
  AGENT_TRANSCRIPTION_LANGUAGE: z.string()
    .regex(/^[a-z]{2}(,[a-z]{2})*$/, "ISO-639-1 codes, comma-separated (e.g. en or es,en)")
    .transform((codes) => codes.split(","))
    .optional(),
  AGENT_TRANSCRIPTION_PROMPT: z.string().optional(),
  AGENT_NOISE_REDUCTION: z.enum(["near_field", "far_field", "off"]).default("near_field"),
  AGENT_TRUNCATION: truncation,
  AGENT_TOOLS: z.string().optional(),
  MAX_CALL_MINUTES: z.coerce.number().positive().default(55),
  CALLER_SILENCE_TIMEOUT_S: int(120),
  DRAIN_TIMEOUT_S: int(300),
  WHATSAPP_GRAPH_URL: z.url().default("https://graph.facebook.com/v23.0"),
  WHATSAPP_ACCESS_TOKEN: z.string().optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warning", "error"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  // The end-of-call webhook (bridge/post_call/); the secret's message never echoes it.
  CALL_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  // One whsec_ secret, or several separated by spaces while rotating (the current one first).
  CALL_WEBHOOK_SECRET: z.string().refine((s) => webhookSecretsProblem(s) === undefined, {
    error: (issue) => webhookSecretsProblem(String(issue.input)) ?? "invalid",
  }).optional(),
});

/** Validated environment, with the defaults that depend on other variables filled in. */
export type BridgeEnv = Omit<z.infer<typeof EnvSchema>, "AGENT_IDLE_TIMEOUT_MS"> & {
  AGENT_IDLE_TIMEOUT_MS: number;
};

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
  /** Post-call analysis (`ANALYSIS_*`, `OPENAI_API_URL`): bridge/analysis/analysis_config.ts. */
  analysis: AnalysisConfig;
  /** Prices of a call's cost (`PRICING`, `META_CALL_PRICING`): bridge/figures/pricing_config.ts. */
  figures: FiguresConfig;
  /** `RECORDING`, `RECORDINGS_DIR`, `RECORDING_ANNOUNCEMENT`: bridge/recording/recordings.ts. */
  recording: RecordingConfig;
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
  const silenceMs = parsed.data.CALLER_SILENCE_TIMEOUT_S * 1000;
  const env: BridgeEnv = {
    ...parsed.data,
    AGENT_IDLE_TIMEOUT_MS: parsed.data.AGENT_IDLE_TIMEOUT_MS ?? defaultIdleTimeoutMs(silenceMs),
  };
  if (env.AGENT_IDLE_TIMEOUT_MS > 0 && silenceMs > 0 && env.AGENT_IDLE_TIMEOUT_MS >= silenceMs) {
    // The model must re-engage a silent caller before the bridge hangs up on them.
    throw new Error(
      "invalid bridge configuration:\n  AGENT_IDLE_TIMEOUT_MS: must be below CALLER_SILENCE_TIMEOUT_S (or 0)",
    );
  }
  if (env.CALL_WEBHOOK_URL && !env.CALL_WEBHOOK_SECRET) {
    throw new Error(
      "invalid bridge configuration:\n  CALL_WEBHOOK_SECRET: required when CALL_WEBHOOK_URL is set (whsec_ + base64)",
    );
  }
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
    try {
      // A URL werift cannot use would otherwise be skipped without a word, call after call.
      parseIceServers(iceServers);
    } catch (error) {
      throw new Error(`invalid bridge configuration:\n  ICE_SERVERS: ${(error as Error).message}`);
    }
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
    analysis: loadAnalysisConfig(vars, readFile, {
      agent,
      apiKey: env.OPENAI_API_KEY,
      realtimeUrl: env.OPENAI_REALTIME_URL,
    }),
    figures: loadFiguresConfig(vars, readFile),
    recording: recordingConfigFromEnv(vars),
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

/**
 * Every secret the configuration holds, for the log filter to blank, with the
 * password of the database `vars` name (the store reads those variables itself).
 */
export function configSecrets(
  config: BridgeConfig,
  vars: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
): string[] {
  const { env } = config;
  return [
    env.VOICE_BRIDGE_SECRET,
    env.OPENAI_API_KEY,
    env.WHATSAPP_ACCESS_TOKEN,
    env.CALL_WEBHOOK_SECRET,
    ...splitWebhookSecrets(env.CALL_WEBHOOK_SECRET ?? ""),
    ...config.iceServers.map((s) => s.credential),
    // Recording storage reads its own variables (bridge/recording/storage_config.ts).
    vars.RECORDINGS_S3_SECRET_ACCESS_KEY,
    vars.RECORDING_LINK_SECRET,
    // Database drivers quote the connection string in some errors.
    ...databasePasswords(vars),
  ].filter((v): v is string => v !== undefined && v !== "");
}

function databasePasswords(vars: Readonly<Record<string, string | undefined>>): string[] {
  return ["DATABASE_URL", "SUPABASE_DB_URL"].flatMap((name) => {
    const url = URL.parse(vars[name] ?? "");
    return url?.password ? [url.password, decodeURIComponent(url.password)] : [];
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: the schema rejects the raw text, naming the variable.
    return text;
  }
}
