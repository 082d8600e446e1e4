/**
 * After the hang-up: one Structured Outputs request turns the call's
 * transcript into a summary, an outcome from the operator's list and the
 * operator's fields, stored with the call (`voice_call_analysis`).
 *
 * Nothing here can fail a call: without a key or with the echo agent the call
 * is stored `not_analysed` and no request is made; a refused, failed or
 * malformed answer is stored `failed` with the reason; even a store that is
 * down only loses the row (logged), never throws into the post-call path.
 *
 * @module
 */
import { z } from "zod";
import type { Store, Transcript } from "../../store/store.ts";
import type { CallAnalysis, NewCallAnalysis } from "../../store/analysis.ts";
import { callLogger } from "../log.ts";
import { ABANDONED, type AnalysisConfig, type JsonSchemaObject } from "./analysis_config.ts";
import { createStructuredResponse, type StructuredResult } from "./responses_client.ts";

/** Log events of the analysis (category `bridge.analysis`, `callId` on each). */
export type AnalysisLogEvent =
  /** `outcome`, `model`, `attempts`, token counts; never the summary or fields (personal data). */
  | "CALL_ANALYSED"
  /** `reason`: `no_api_key`, `echo_agent`. */
  | "CALL_NOT_ANALYSED"
  /** `reason`, `attempts`. */
  | "CALL_ANALYSIS_FAILED"
  /** `attempt`, `reason`, `waitMs`: the request is sent again after the wait. */
  | "CALL_ANALYSIS_RETRY";

/** What {@linkcode analyseCall} needs. */
export interface AnalysisDeps {
  store: Pick<Store, "listTranscripts" | "saveAnalysis" | "getAnalysis">;
  config: AnalysisConfig;
  /** Injected in tests; default the global `fetch`. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** `text.format.name` of the request. */
export const SCHEMA_NAME = "call_analysis";

/** Transcript text sent at most; a longer one keeps its start and end. */
export const MAX_TRANSCRIPT_CHARS = 200_000;

/** Visible and reasoning tokens the answer may take. */
const MAX_OUTPUT_TOKENS = 16_000;

/**
 * Analyses the call once its transcript is complete and returns what was
 * stored. A call already `analysed` is returned as stored, with no new
 * request (the post-call runner may run again after a restart).
 */
export async function analyseCall(deps: AnalysisDeps, callId: string): Promise<CallAnalysis> {
  const log = callLogger<AnalysisLogEvent>(callId, "analysis");
  let result: NewCallAnalysis;
  try {
    const earlier = await deps.store.getAnalysis(callId);
    if (earlier?.status === "analysed") return earlier;
    result = await analyse(deps, callId, log);
  } catch (error) {
    result = failed(callId, `could not read the call: ${(error as Error).message}`, 0);
  }
  if (result.status === "analysed") {
    log.info("CALL_ANALYSED", {
      outcome: result.outcome,
      model: result.model,
      attempts: result.attempts,
      ...result.usage,
    });
  } else if (result.status === "not_analysed") {
    log.info("CALL_NOT_ANALYSED", { reason: result.reason });
  } else {
    log.warn("CALL_ANALYSIS_FAILED", { reason: result.reason, attempts: result.attempts });
  }
  try {
    return await deps.store.saveAnalysis(result);
  } catch (error) {
    log.error("CALL_ANALYSIS_FAILED", { reason: `not stored: ${(error as Error).message}` });
    const now = new Date();
    return { ...result, createdAt: now, updatedAt: now };
  }
}

/**
 * The call's stored analysis for the end-of-call webhook (`call.analyzed`),
 * or `null` when there is none yet.
 */
export async function callAnalysis(
  store: Pick<Store, "getAnalysis">,
  callId: string,
): Promise<AnalysisReport | null> {
  const a = await store.getAnalysis(callId);
  if (a === null) return null;
  return {
    status: a.status,
    reason: a.reason,
    summary: a.summary,
    outcome: a.outcome,
    fields: a.fields,
    model: a.model,
    usage: a.usage,
    analysedAt: a.updatedAt.toISOString(),
  };
}

/** The analysis as the webhook payload carries it. */
export type AnalysisReport =
  & Pick<CallAnalysis, "status" | "reason" | "summary" | "outcome" | "fields" | "model" | "usage">
  & { analysedAt: string };

async function analyse(
  deps: AnalysisDeps,
  callId: string,
  log: ReturnType<typeof callLogger<AnalysisLogEvent>>,
): Promise<NewCallAnalysis> {
  const { config } = deps;
  if (config.disabled !== null || config.apiKey === undefined) {
    return { ...blank(callId), status: "not_analysed", reason: config.disabled ?? "no_api_key" };
  }
  const lines = await deps.store.listTranscripts(callId);
  if (!lines.some((l) => l.speaker === "caller" && l.text.trim() !== "")) {
    // Nothing the caller said to summarise: the outcome is known without paying for a request.
    return {
      ...blank(callId),
      status: "analysed",
      reason: "no_caller_speech",
      summary: "The caller did not speak.",
      outcome: ABANDONED,
    };
  }
  const schema = outputSchema(config);
  const answer = await createStructuredResponse({
    model: config.model,
    instructions: config.instructions,
    input: transcriptText(lines),
    schemaName: SCHEMA_NAME,
    schema,
    reasoningEffort: config.reasoningEffort,
    maxOutputTokens: MAX_OUTPUT_TOKENS,
  }, {
    apiUrl: config.apiUrl,
    apiKey: config.apiKey,
    timeoutMs: config.timeoutMs,
    maxAttempts: config.maxAttempts,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
    onRetry: (info) => log.warn("CALL_ANALYSIS_RETRY", { ...info }),
  });
  return fromAnswer(callId, answer, validator(config, schema), config.model);
}

function fromAnswer(
  callId: string,
  answer: StructuredResult,
  validate: z.ZodType,
  requested: string,
): NewCallAnalysis {
  const base = { ...blank(callId), usage: answer.usage, attempts: answer.attempts };
  const model = answer.model ?? requested;
  if (!answer.ok) return { ...base, model, status: "failed", reason: answer.reason };
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    return { ...base, model, status: "failed", reason: "the model's output is not JSON" };
  }
  // Strict mode should make this impossible; a model or proxy that ignores it must not corrupt the row.
  const checked = validate.safeParse(json);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const where = issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    return {
      ...base,
      model,
      status: "failed",
      reason: `the model's output breaks the schema${where}: ${issue.message}`,
    };
  }
  const out = checked.data as { summary: string; outcome: string; fields: Record<string, never> };
  return {
    ...base,
    model,
    status: "analysed",
    summary: out.summary,
    outcome: out.outcome,
    fields: out.fields,
  };
}

/** The schema the answer must follow: summary, outcome from the list, the operator's fields. */
export function outputSchema(config: Pick<AnalysisConfig, "outcomes" | "fieldsSchema">) {
  return {
    type: "object",
    properties: {
      summary: {
        type: "string",
        description: "Two or three sentences on what the caller wanted and what happened.",
      },
      outcome: {
        type: "string",
        enum: [...config.outcomes],
        description: "How the call ended, from the business's point of view.",
      },
      fields: config.fieldsSchema,
    },
    required: ["summary", "outcome", "fields"],
    additionalProperties: false,
  } satisfies JsonSchemaObject;
}

const validators = new WeakMap<AnalysisConfig, z.ZodType>();

function validator(config: AnalysisConfig, schema: JsonSchemaObject): z.ZodType {
  let v = validators.get(config);
  if (v === undefined) {
    // zod calls fromJSONSchema "semi-experimental"; it is pinned in deno.json and
    // this module's tests break any rule it stops enforcing.
    v = z.fromJSONSchema(schema);
    validators.set(config, v);
  }
  return v;
}

/**
 * The transcript as the model reads it: `[mm:ss] Caller: …`, agent lines cut
 * by a barge-in marked, since what the caller did not hear matters.
 */
export function transcriptText(lines: readonly Transcript[]): string {
  const start = lines[0]?.startedAt.getTime() ?? 0;
  const text = lines.map((l) => {
    const s = Math.max(0, Math.round((l.startedAt.getTime() - start) / 1000));
    const at = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
    const who = l.speaker === "caller" ? "Caller" : "Agent";
    return `[${at}] ${who}: ${l.text.trim()}${l.interrupted ? " [cut off by the caller]" : ""}`;
  }).join("\n");
  if (text.length <= MAX_TRANSCRIPT_CHARS) return text;
  const half = MAX_TRANSCRIPT_CHARS / 2;
  const left = text.length - 2 * half;
  return `${text.slice(0, half)}\n[… ${left} characters of the transcript left out …]\n${
    text.slice(-half)
  }`;
}

function blank(callId: string): NewCallAnalysis {
  return {
    callId,
    status: "not_analysed",
    reason: null,
    summary: null,
    outcome: null,
    fields: null,
    model: null,
    usage: null,
    attempts: 0,
  };
}

function failed(callId: string, reason: string, attempts: number): NewCallAnalysis {
  return { ...blank(callId), status: "failed", reason, attempts };
}
