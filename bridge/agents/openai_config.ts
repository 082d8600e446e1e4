/**
 * The OpenAI Realtime agent's configuration and its defaults.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import { defaultWebSocketFactory, type WebSocketFactory } from "./realtime_connection.ts";
import { defaultTimers, type Timers } from "./timers.ts";
import type { ToolDefinition } from "./tools.ts";

/** Configuration of the OpenAI Realtime agent (`OpenAIRealtimeAgent`). */
export interface OpenAIRealtimeConfig {
  apiKey: string;
  /** @default "wss://api.openai.com/v1/realtime" */
  url?: string;
  /** @default "gpt-realtime" */
  model?: string;
  /** The system prompt. */
  instructions: string;
  /** @default "marin" */
  voice?: string;
  /** @default "server_vad" */
  turnDetection?: "server_vad" | "semantic_vad";
  /** Caller transcription model. @default "gpt-4o-mini-transcribe" */
  transcriptionModel?: string;
  /** @default "near_field" (a phone at the ear) */
  noiseReduction?: "near_field" | "far_field" | null;
  /** HTTP function tools; `end_call` is always added. */
  tools?: ToolDefinition[];
  webSocketFactory?: WebSocketFactory;
  /** Epoch ms. @default Date.now */
  clock?: () => number;
  timers?: Timers;
  /** Budget for the first reconnect attempts; the first retry is immediate. @default 2000 */
  reconnectWithinMs?: number;
  /** Attempts before giving up with `onFatal`. @default 3 */
  maxReconnectAttempts?: number;
  /** Per connection attempt, until `session.updated`. @default 4000 */
  connectTimeoutMs?: number;
  /** For HTTP tools. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 8000 */
  toolTimeoutMs?: number;
  /** Transcript entries re-injected after a reconnect (most recent kept). @default 50 */
  historyLimit?: number;
  /** @default getLogger(["bridge", "openai"]) */
  logger?: Logger;
}

/** The configuration with every default filled in (the logger stays optional). */
export type ResolvedConfig = Required<Omit<OpenAIRealtimeConfig, "noiseReduction" | "logger">> & {
  noiseReduction: "near_field" | "far_field" | null;
};

/** Fills in the defaults. */
export function resolveConfig(config: OpenAIRealtimeConfig): ResolvedConfig {
  return {
    apiKey: config.apiKey,
    url: config.url ?? "wss://api.openai.com/v1/realtime",
    model: config.model ?? "gpt-realtime",
    instructions: config.instructions,
    voice: config.voice ?? "marin",
    turnDetection: config.turnDetection ?? "server_vad",
    transcriptionModel: config.transcriptionModel ?? "gpt-4o-mini-transcribe",
    noiseReduction: config.noiseReduction === undefined ? "near_field" : config.noiseReduction,
    tools: config.tools ?? [],
    webSocketFactory: config.webSocketFactory ?? defaultWebSocketFactory,
    clock: config.clock ?? Date.now,
    timers: config.timers ?? defaultTimers,
    reconnectWithinMs: config.reconnectWithinMs ?? 2000,
    maxReconnectAttempts: config.maxReconnectAttempts ?? 3,
    connectTimeoutMs: config.connectTimeoutMs ?? 4000,
    fetch: config.fetch ?? ((input, init) => fetch(input, init)),
    toolTimeoutMs: config.toolTimeoutMs ?? 8000,
    historyLimit: config.historyLimit ?? 50,
  };
}
