/**
 * The post-call analysis's configuration (`ANALYSIS_*`), validated at start
 * so a bad list or schema stops the bridge with the variable named, as
 * `bridge/config.ts` does for the rest.
 *
 * @module
 */
import { z } from "zod";
import { describeViolations, strictSchemaViolations } from "./strict_schema.ts";

/**
 * OpenAI's model for "focused, high-volume tasks" (classification, extraction,
 * summarisation), with Structured Outputs on `v1/responses`, $0.10/$0.50 per
 * 1M tokens: developers.openai.com/api/docs/models/gpt-6-luna. OpenAI's
 * deprecations page names it the replacement of gpt-4o-mini and gpt-4.1-mini
 * (shut down 2027-01-14); gpt-5-nano shuts down 2026-12-11. Snapshots of that
 * page disagree on gpt-5-nano's replacement (gpt-5.6-luna or gpt-6-luna).
 */
export const DEFAULT_ANALYSIS_MODEL = "gpt-6-luna";

/** The outcomes a call is classified into when `ANALYSIS_OUTCOMES` is unset. */
export const DEFAULT_OUTCOMES = [
  "resolved",
  "callback_requested",
  "escalation_needed",
  "abandoned",
] as const;

/** The outcome the bridge itself gives a call in which the caller never spoke. */
export const ABANDONED = "abandoned";

/** The fields extracted when `ANALYSIS_FIELDS` is unset: strict-mode, each nullable. */
export const DEFAULT_FIELDS_SCHEMA: JsonSchemaObject = {
  type: "object",
  properties: {
    customer_name: {
      type: ["string", "null"],
      description: "The caller's name as they gave it, or null if they did not.",
    },
    order_number: {
      type: ["string", "null"],
      description: "An order, booking or reference number the caller gave, or null.",
    },
  },
  required: ["customer_name", "order_number"],
  additionalProperties: false,
};

/** Default instructions; the transcript follows as the request's input. */
export const DEFAULT_ANALYSIS_INSTRUCTIONS =
  "You review the transcript of a phone call between a business's voice agent and a caller. " +
  "Summarise the call in two or three sentences for the business's staff, classify its outcome, " +
  "and fill in each field from what was said. Use null for anything the call did not say; " +
  "never guess. Transcripts come from speech recognition and may contain errors.";

/** A JSON Schema object, as sent to OpenAI. */
export type JsonSchemaObject = { [key: string]: z.core.util.JSONType };

/** Settled configuration of the post-call analysis. */
export interface AnalysisConfig {
  /** Why calls are not analysed (no request is made), or `null` when they are. */
  disabled: "no_api_key" | "echo_agent" | null;
  apiKey: string | undefined;
  /** Base of OpenAI's REST API, e.g. `https://api.openai.com/v1`. */
  apiUrl: string;
  model: string;
  /** `reasoning.effort`; unset: not sent (the model's default). */
  reasoningEffort: string | undefined;
  outcomes: readonly string[];
  fieldsSchema: JsonSchemaObject;
  instructions: string;
  /** One request's deadline. */
  timeoutMs: number;
  /** Requests at most, retries included. */
  maxAttempts: number;
}

const OUTCOME = /^[a-z][a-z0-9_]{0,63}$/;

const EnvSchema = z.object({
  OPENAI_API_URL: z.url().optional(),
  ANALYSIS_MODEL: z.string().min(1).default(DEFAULT_ANALYSIS_MODEL),
  ANALYSIS_REASONING_EFFORT: z.string().regex(/^[a-z]+$/, "e.g. none, low, medium, high")
    .optional(),
  ANALYSIS_OUTCOMES: z.string().transform((s) => s.split(",").map((o) => o.trim()))
    .pipe(
      z.array(z.string().regex(OUTCOME, "lower-case words joined by _ (e.g. resolved)"))
        .refine((list) => new Set(list).size === list.length, "each outcome once")
        .refine(
          (list) => list.includes(ABANDONED),
          `must include ${ABANDONED}: calls where the caller never spoke get it without a request`,
        ),
    ).optional(),
  ANALYSIS_FIELDS: z.string().optional(),
  ANALYSIS_INSTRUCTIONS: z.string().optional(),
  ANALYSIS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  ANALYSIS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
});

/** What the rest of the configuration decides for the analysis. */
export interface AnalysisBase {
  agent: "openai" | "echo";
  apiKey: string | undefined;
  /** `OPENAI_REALTIME_URL`: the REST base is derived from it when `OPENAI_API_URL` is unset. */
  realtimeUrl: string;
}

/**
 * Validates the `ANALYSIS_*` variables and `OPENAI_API_URL`. `ANALYSIS_FIELDS`
 * and `ANALYSIS_INSTRUCTIONS` may name a file, read through `readFile`.
 * Throws an Error naming each bad variable, worded as `loadConfig`'s.
 */
export function loadAnalysisConfig(
  vars: Record<string, string | undefined>,
  readFile: (path: string) => string | undefined,
  base: AnalysisBase,
): AnalysisConfig {
  const set = Object.fromEntries(
    Object.entries(vars).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = EnvSchema.safeParse(set);
  if (!parsed.success) {
    throw configError(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
  }
  const env = parsed.data;
  const fromFileOrText = (value: string) => readFile(value) ?? value;
  const fieldsSchema = env.ANALYSIS_FIELDS === undefined
    ? DEFAULT_FIELDS_SCHEMA
    : parseFields(fromFileOrText(env.ANALYSIS_FIELDS));
  return {
    disabled: !base.apiKey ? "no_api_key" : base.agent === "echo" ? "echo_agent" : null,
    apiKey: base.apiKey,
    apiUrl: env.OPENAI_API_URL?.replace(/\/+$/, "") ?? restBase(base.realtimeUrl),
    model: env.ANALYSIS_MODEL,
    reasoningEffort: env.ANALYSIS_REASONING_EFFORT,
    outcomes: env.ANALYSIS_OUTCOMES ?? DEFAULT_OUTCOMES,
    fieldsSchema,
    instructions: env.ANALYSIS_INSTRUCTIONS === undefined
      ? DEFAULT_ANALYSIS_INSTRUCTIONS
      : fromFileOrText(env.ANALYSIS_INSTRUCTIONS),
    timeoutMs: env.ANALYSIS_TIMEOUT_MS,
    maxAttempts: env.ANALYSIS_MAX_ATTEMPTS,
  };
}

/** `wss://host/v1/realtime` → `https://host/v1`: the fake and the service serve both. */
export function restBase(realtimeUrl: string): string {
  const url = new URL(realtimeUrl);
  const protocol = url.protocol === "ws:"
    ? "http:"
    : url.protocol === "wss:"
    ? "https:"
    : url.protocol;
  const path = url.pathname.replace(/\/realtime\/?$/, "").replace(/\/+$/, "");
  return `${protocol}//${url.host}${path}`;
}

function parseFields(text: string): JsonSchemaObject {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    throw configError([["ANALYSIS_FIELDS", "not JSON, nor a readable file holding JSON"]]);
  }
  const violations = strictSchemaViolations(schema);
  if (violations.length > 0) {
    throw configError([[
      "ANALYSIS_FIELDS",
      `not a strict-mode schema (${describeViolations(violations)})`,
    ]]);
  }
  return schema as JsonSchemaObject;
}

function configError(lines: readonly (readonly [string, string])[]): Error {
  const text = lines.map(([name, message]) => `  ${name}: ${message}`).join("\n");
  return new Error(`invalid bridge configuration:\n${text}`);
}
