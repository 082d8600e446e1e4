/**
 * OpenAI usage per call and model in `voice_call_usage`: each report adds to
 * the counters, atomically, so usage arriving response by response is summed
 * and none is lost when a call ends abruptly.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlParam } from "./adapter.ts";
import { USAGE_COUNTERS, type UsageCounter, type UsageIncrement } from "../lib/realtime/usage.ts";

const COLUMNS: { readonly [K in UsageCounter]: string } = {
  requests: "requests",
  inputTokens: "input_tokens",
  inputTextTokens: "input_text_tokens",
  inputAudioTokens: "input_audio_tokens",
  inputCachedTokens: "input_cached_tokens",
  inputCachedTextTokens: "input_cached_text_tokens",
  inputCachedAudioTokens: "input_cached_audio_tokens",
  outputTokens: "output_tokens",
  outputTextTokens: "output_text_tokens",
  outputAudioTokens: "output_audio_tokens",
  audioSeconds: "audio_seconds",
};

// bigint columns come back as text from postgres.js.
const counter = z.coerce.number();

/** A row of `voice_call_usage`: one model's usage in one call. */
export const callUsageSchema = z.object({
  callId: z.string(),
  model: z.string(),
  ...Object.fromEntries(USAGE_COUNTERS.map((k) => [k, counter])) as {
    [K in UsageCounter]: typeof counter;
  },
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});

/** A model's usage in a call, as stored. */
export type CallUsage = z.infer<typeof callUsageSchema>;

/**
 * Input of {@linkcode UsageStore.addUsage}: counters to add to the call's row
 * for `model`. A report with a `reportId` already added to that row adds
 * nothing, so a writer that retries a report counts it once.
 */
export type NewCallUsage = UsageIncrement & { callId: string; reportId?: string | undefined };

/** Usage records of a {@linkcode Store}. */
export interface UsageStore {
  /** Adds the counters to the call's row for the model (created at zero), once per `reportId`. */
  addUsage(usage: NewCallUsage): Promise<void>;
  /** The call's usage, one row per model, by model. */
  listUsage(callId: string): Promise<CallUsage[]>;
}

const SELECT = [
  `call_id as "callId"`,
  "model",
  ...USAGE_COUNTERS.map((k) => `${COLUMNS[k]} as "${k}"`),
  `created_at as "createdAt"`,
  `updated_at as "updatedAt"`,
].join(", ");

const INSERT_COLUMNS = [
  "call_id",
  "model",
  ...USAGE_COUNTERS.map((k) => COLUMNS[k]),
  "report_ids",
];
const ADD = USAGE_COUNTERS.map((k) =>
  `${COLUMNS[k]} = voice_call_usage.${COLUMNS[k]} + excluded.${COLUMNS[k]}`
);

/** The usage methods over `db`. */
export function usageMethods(db: SqlAdapter): UsageStore {
  return {
    async addUsage(usage) {
      const params: SqlParam[] = [
        usage.callId,
        usage.model,
        ...USAGE_COUNTERS.map((k) => usage[k]),
        usage.reportId ?? null,
      ];
      const values = params.map((_, i) => `$${i + 1}`);
      // The report id as an array of one, or none; a row holding it already is left alone.
      values[values.length - 1] = `array_remove(array[$${params.length}::text], null)`;
      await db.query(
        `insert into public.voice_call_usage (${INSERT_COLUMNS.join(", ")})
         values (${values.join(", ")})
         on conflict (call_id, model) do update set ${ADD.join(", ")},
           report_ids = voice_call_usage.report_ids || excluded.report_ids, updated_at = now()
         where not (voice_call_usage.report_ids && excluded.report_ids)`,
        params,
      );
    },

    async listUsage(callId) {
      const rows = await db.query(
        `select ${SELECT} from public.voice_call_usage where call_id = $1 order by model`,
        [callId],
      );
      return rows.map((row) => callUsageSchema.parse(row));
    },
  };
}
