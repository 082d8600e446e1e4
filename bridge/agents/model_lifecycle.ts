/**
 * OpenAI models the bridge knows to be retired or scheduled for shutdown, so
 * start-up can warn about a configured one before calls start failing.
 *
 * None of the dates below could be read on OpenAI's deprecations page
 * (https://developers.openai.com/api/docs/deprecations; the copies available
 * stop before these rows): they come from third parties quoting it, hence
 * `confirmed: false`. `GET /v1/models` reports a model's `shutdown_date`
 * authoritatively.
 *
 * @module
 */
import type { Logger } from "@logtape/logtape";

/** A model's end, as far as the project knows it. */
export interface ModelRetirement {
  /** The model id, exact. */
  model: string;
  /** `YYYY-MM-DD`; null for a model already shut down on an unknown date. */
  shutdownDate: string | null;
  replacement: string;
  /** Whether OpenAI's own page was read for this date. */
  confirmed: boolean;
  source: string;
}

const REALTIME_2027 = {
  shutdownDate: "2027-01-20",
  confirmed: false,
  // dev.to/max_bob, dev.to/aidriftline; Retell maps these on 2027-01-19.
  source: "https://docs.retellai.com/deprecation-notice/2027/01-19_model_replacements",
} as const;

const TRANSCRIBE_2027 = {
  shutdownDate: "2027-02-26",
  replacement: "gpt-live-transcribe",
  confirmed: false,
  source: "https://www.developersdigest.tech/blog/whisper-1-gpt-4o-transcribe-deprecation",
} as const;

// The alias's model page reads "Shut down" (no date); the dated snapshots are
// assumed to share its fate.
const PREVIEW_SHUT_DOWN = {
  shutdownDate: null,
  replacement: "gpt-realtime-2.1",
  confirmed: false,
  source: "https://developers.openai.com/api/docs/models/gpt-4o-realtime-preview",
} as const;

/** The table: realtime models, then transcription models. */
export const MODEL_RETIREMENTS: readonly ModelRetirement[] = [
  { model: "gpt-realtime", replacement: "gpt-realtime-2.1", ...REALTIME_2027 },
  { model: "gpt-realtime-2025-08-28", replacement: "gpt-realtime-2.1", ...REALTIME_2027 },
  { model: "gpt-realtime-mini", replacement: "gpt-realtime-2.1-mini", ...REALTIME_2027 },
  { model: "gpt-realtime-mini-2025-10-06", replacement: "gpt-realtime-2.1-mini", ...REALTIME_2027 },
  { model: "gpt-4o-mini-realtime-preview", replacement: "gpt-realtime-2.1-mini", ...REALTIME_2027 },
  {
    model: "gpt-4o-mini-realtime-preview-2024-12-17",
    replacement: "gpt-realtime-2.1-mini",
    ...REALTIME_2027,
  },
  { model: "gpt-4o-realtime-preview", ...PREVIEW_SHUT_DOWN, confirmed: true },
  { model: "gpt-4o-realtime-preview-2024-10-01", ...PREVIEW_SHUT_DOWN },
  { model: "gpt-4o-realtime-preview-2024-12-17", ...PREVIEW_SHUT_DOWN },
  { model: "gpt-4o-realtime-preview-2025-06-03", ...PREVIEW_SHUT_DOWN },
  { model: "whisper-1", ...TRANSCRIBE_2027 },
  { model: "gpt-4o-transcribe", ...TRANSCRIBE_2027 },
  { model: "gpt-4o-transcribe-diarize", ...TRANSCRIBE_2027 },
  { model: "gpt-4o-mini-transcribe", ...TRANSCRIBE_2027 },
  // The dated snapshot is assumed to go with its alias (not stated anywhere).
  { model: "gpt-4o-mini-transcribe-2025-12-15", ...TRANSCRIBE_2027 },
];

/** The retirement of `model`, or null when none is known. */
export function retirementOf(
  model: string,
  table: readonly ModelRetirement[] = MODEL_RETIREMENTS,
): ModelRetirement | null {
  return table.find((r) => r.model === model) ?? null;
}

/** Which configured model: the conversation's or the caller transcription's. */
export type ModelRole = "realtime" | "transcription";

/**
 * Logs `OPENAI_MODEL_DEPRECATED` (a warning) for each configured model with a
 * known retirement; returns those retirements.
 */
export function warnRetiredModels(
  logger: Logger,
  models: Readonly<Record<ModelRole, string>>,
): ModelRetirement[] {
  const found: ModelRetirement[] = [];
  for (const [role, model] of Object.entries(models)) {
    const r = retirementOf(model);
    if (!r) continue;
    found.push(r);
    logger.warn("OPENAI_MODEL_DEPRECATED", {
      role,
      model,
      shutdownDate: r.shutdownDate ?? "already shut down",
      replacement: r.replacement,
      confirmed: r.confirmed,
      source: r.source,
    });
  }
  return found;
}
