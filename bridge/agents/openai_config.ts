/**
 * The OpenAI Realtime agent's configuration and its defaults.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";
import type { Eagerness, Truncation } from "../../lib/realtime/session.ts";
import { defaultWebSocketFactory, type WebSocketFactory } from "./realtime_connection.ts";
import { defaultTimers, type Timers } from "./timers.ts";
import type { ToolDefinition } from "./tools.ts";

/**
 * The realtime model OpenAI recommends and has not scheduled for shutdown: the
 * default of openai-agents-js since 2026-07-07 (`DEFAULT_OPENAI_REALTIME_MODEL`,
 * https://github.com/openai/openai-agents-js commit 00b418e5).
 */
export const DEFAULT_REALTIME_MODEL = "gpt-realtime-2.1";

/**
 * The caller transcription model: "Start with gpt-live-transcribe"
 * (https://developers.openai.com/api/docs/guides/realtime-transcription).
 * That guide is about transcription sessions; that a conversation session
 * takes it in `audio.input.transcription` rests on openai-node listing it
 * there (unconfirmed by a guide).
 */
export const DEFAULT_TRANSCRIPTION_MODEL = "gpt-live-transcribe";

/**
 * Caller silence after which the model re-engages them (server VAD's
 * `idle_timeout_ms`, 5000 to 30000): well before the bridge's silence hang-up.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000;

/** Configuration of the OpenAI Realtime agent (`OpenAIRealtimeAgent`). */
export interface OpenAIRealtimeConfig {
  apiKey: string;
  /** @default "wss://api.openai.com/v1/realtime" */
  url?: string;
  /** @default DEFAULT_REALTIME_MODEL */
  model?: string;
  /** The system prompt. */
  instructions: string;
  /** @default "marin" */
  voice?: string;
  /** The first words, said verbatim when the call is accepted; "" lets the model greet. @default "" */
  greeting?: string;
  /** @default "server_vad" */
  turnDetection?: "server_vad" | "semantic_vad";
  /** Server VAD's speech threshold, 0 to 1. @default 0.5 */
  vadThreshold?: number;
  /** Server VAD's `silence_duration_ms`: caller silence that ends a turn. @default 500 */
  vadSilenceMs?: number;
  /** Semantic VAD's eagerness. @default "auto" */
  vadEagerness?: Eagerness;
  /**
   * Server VAD: after this much caller silence the model re-engages them; 0
   * turns it off. The service takes 5000 to 30000. @default DEFAULT_IDLE_TIMEOUT_MS
   */
  idleTimeoutMs?: number;
  /** Caller transcription model. @default DEFAULT_TRANSCRIPTION_MODEL */
  transcriptionModel?: string;
  /** ISO-639-1 code(s) of the caller's language. @default [] (detected) */
  transcriptionLanguages?: string[];
  /** Context for the transcription model. @default "" */
  transcriptionPrompt?: string;
  /** @default "auto" */
  truncation?: Truncation;
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
  /** Tries of a response the caller must hear before the call is given up. @default 3 */
  maxResponseAttempts?: number;
  /** Wait before the first retry of a failed response; doubles each time. @default 500 */
  responseRetryMs?: number;
  /** A `response.create` unanswered this long has failed. @default 5000 */
  responseCreateTimeoutMs?: number;
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
    model: config.model ?? DEFAULT_REALTIME_MODEL,
    instructions: config.instructions,
    voice: config.voice ?? "marin",
    greeting: config.greeting ?? "",
    turnDetection: config.turnDetection ?? "server_vad",
    vadThreshold: config.vadThreshold ?? 0.5,
    vadSilenceMs: config.vadSilenceMs ?? 500,
    vadEagerness: config.vadEagerness ?? "auto",
    idleTimeoutMs: config.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    transcriptionModel: config.transcriptionModel ?? DEFAULT_TRANSCRIPTION_MODEL,
    transcriptionLanguages: config.transcriptionLanguages ?? [],
    transcriptionPrompt: config.transcriptionPrompt ?? "",
    truncation: config.truncation ?? "auto",
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
    maxResponseAttempts: config.maxResponseAttempts ?? 3,
    responseRetryMs: config.responseRetryMs ?? 500,
    responseCreateTimeoutMs: config.responseCreateTimeoutMs ?? 5000,
    historyLimit: config.historyLimit ?? 50,
  };
}
