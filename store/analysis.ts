/**
 * The post-call analysis of each call in `voice_call_analysis`: one row per
 * call, replaced whole when the call is analysed again (a failed analysis
 * retried, a restart re-running the post-call steps).
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";
import { jsonParam } from "./store.ts";

/** Whether a row holds a model's answer; see the migration for each. */
export const ANALYSIS_STATUSES = ["analysed", "not_analysed", "failed"] as const;

/** `analysed`, `not_analysed` (no request made) or `failed` (`reason` says why). */
export type AnalysisStatus = typeof ANALYSIS_STATUSES[number];

// bigint columns come back as text from postgres.js.
const tokens = z.coerce.number().int().nonnegative().nullable();

/** The request's token usage, as the Responses API reports it. */
export const analysisUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  inputCachedTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  outputReasoningTokens: z.number().int().nonnegative(),
});

/** Tokens one analysis request used. */
export type AnalysisUsage = z.infer<typeof analysisUsageSchema>;

/** A row of `voice_call_analysis`. */
export const callAnalysisSchema = z.object({
  callId: z.string(),
  status: z.enum(ANALYSIS_STATUSES),
  reason: z.string().nullable(),
  summary: z.string().nullable(),
  outcome: z.string().nullable(),
  fields: z.record(z.string(), z.json()).nullable(),
  model: z.string().nullable(),
  usage: analysisUsageSchema.nullable(),
  attempts: z.number().int().nonnegative(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});

/** A call's analysis as stored. */
export type CallAnalysis = z.infer<typeof callAnalysisSchema>;

/** Input of {@linkcode AnalysisStore.saveAnalysis}. */
export type NewCallAnalysis = Omit<CallAnalysis, "createdAt" | "updatedAt">;

/** Analysis records of a {@linkcode Store}. */
export interface AnalysisStore {
  /** Stores the call's analysis, replacing any earlier one. */
  saveAnalysis(analysis: NewCallAnalysis): Promise<CallAnalysis>;
  /** The call's analysis, or `null` when none was stored. */
  getAnalysis(callId: string): Promise<CallAnalysis | null>;
}

const SELECT = `call_id as "callId", status, reason, summary, outcome, fields, model,
  input_tokens as "inputTokens", input_cached_tokens as "inputCachedTokens",
  output_tokens as "outputTokens", output_reasoning_tokens as "outputReasoningTokens",
  attempts, created_at as "createdAt", updated_at as "updatedAt"`;

// The token columns, with the other columns kept for callAnalysisSchema to check.
const rowSchema = z.looseObject({
  inputTokens: tokens,
  inputCachedTokens: tokens,
  outputTokens: tokens,
  outputReasoningTokens: tokens,
});

function fromRow(row: unknown): CallAnalysis {
  const { inputTokens, inputCachedTokens, outputTokens, outputReasoningTokens, ...rest } = rowSchema
    .parse(row);
  const usage = inputTokens === null || outputTokens === null ? null : {
    inputTokens,
    inputCachedTokens: inputCachedTokens ?? 0,
    outputTokens,
    outputReasoningTokens: outputReasoningTokens ?? 0,
  };
  return callAnalysisSchema.parse({ ...rest, usage });
}

/** The analysis methods over `db`. */
export function analysisMethods(db: SqlAdapter): AnalysisStore {
  return {
    async saveAnalysis(a) {
      const u = a.usage;
      const rows = await db.query(
        `insert into public.voice_call_analysis (call_id, status, reason, summary, outcome, fields,
           model, input_tokens, input_cached_tokens, output_tokens, output_reasoning_tokens, attempts)
         values ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8, $9, $10, $11, $12)
         on conflict (call_id) do update set status = excluded.status, reason = excluded.reason,
           summary = excluded.summary, outcome = excluded.outcome, fields = excluded.fields,
           model = excluded.model, input_tokens = excluded.input_tokens,
           input_cached_tokens = excluded.input_cached_tokens,
           output_tokens = excluded.output_tokens,
           output_reasoning_tokens = excluded.output_reasoning_tokens,
           attempts = excluded.attempts, updated_at = now()
         returning ${SELECT}`,
        [
          a.callId,
          a.status,
          // Model text may hold NULs or lone surrogates, which PostgreSQL refuses.
          clean(a.reason),
          clean(a.summary),
          clean(a.outcome),
          a.fields === null ? null : jsonParam(a.fields),
          a.model,
          u?.inputTokens ?? null,
          u?.inputCachedTokens ?? null,
          u?.outputTokens ?? null,
          u?.outputReasoningTokens ?? null,
          a.attempts,
        ],
      );
      return fromRow(rows[0]);
    },

    async getAnalysis(callId) {
      const rows = await db.query(
        `select ${SELECT} from public.voice_call_analysis where call_id = $1`,
        [callId],
      );
      return rows[0] === undefined ? null : fromRow(rows[0]);
    },
  };
}

function clean(text: string | null): string | null {
  return text === null ? null : text.replaceAll("\0", "\ufffd").toWellFormed();
}
