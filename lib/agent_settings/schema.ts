/**
 * The agent settings of one WhatsApp business number (`phone_number_id`), as
 * the console saves them and the bridge applies them from the next call on.
 *
 * Every field is optional: an unset field falls back to the bridge's
 * environment (`AGENT_INSTRUCTIONS`, `AGENT_VOICE`, `MAX_CALL_MINUTES`, …),
 * so a number without settings behaves exactly as before.
 *
 * The bounds are the ones OpenAI Realtime GA accepts (lib/realtime/session.ts):
 * server VAD's `threshold` 0–1, `silence_duration_ms` an integer, semantic
 * VAD's `eagerness` low/medium/high/auto; the voices are the built-in ones.
 *
 * @module
 */
import { z } from "zod";
import { EAGERNESS } from "../realtime/session.ts";

/**
 * The built-in Realtime voices ("Supported built-in voices are alloy, ash,
 * ballad, coral, echo, sage, shimmer, verse, marin, and cedar"; OpenAI
 * recommends marin and cedar).
 */
export const REALTIME_VOICES = [
  "alloy",
  "ash",
  "ballad",
  "coral",
  "echo",
  "sage",
  "shimmer",
  "verse",
  "marin",
  "cedar",
] as const;

/** Weekdays as {@linkcode CallHours.weekly} keys, Monday first. */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** A weekday key. */
export type Weekday = typeof WEEKDAYS[number];

/** Bounds of the maximum call length, seconds: Realtime sessions end at 60 minutes. */
export const MAX_CALL_SECONDS_RANGE = { min: 10, max: 3600 } as const;

/** Bounds of server VAD's `silence_duration_ms` offered here (the service takes any integer ≥ 0). */
export const SILENCE_MS_RANGE = { min: 100, max: 5000 } as const;

/** Longest outside-hours message, characters: it is said, then the call ends. */
export const MAX_OUTSIDE_HOURS_MESSAGE_CHARS = 300;

/** Said outside hours when the number's settings give no message. */
export const DEFAULT_OUTSIDE_HOURS_MESSAGE =
  "Thank you for calling. We are closed right now. Please call again during our opening hours.";

/** Whether `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    // The constructor's RangeError is the answer, not a failure.
    return false;
  }
}

/** `HH:MM`, 00:00 to 24:00, as minutes after midnight. */
export function clockMinutes(text: string): number | undefined {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes <= 24 * 60 ? minutes : undefined;
}

const clock = z.string().refine(
  (t) => clockMinutes(t) !== undefined,
  "a time as HH:MM (00:00–24:00)",
);

/** One opening interval of a day, local time; `close` is after `open` (24:00 is the day's end). */
export const OpenIntervalSchema = z.object({ open: clock, close: clock }).refine(
  (i) => clockMinutes(i.close)! > clockMinutes(i.open)!,
  { error: "must close after it opens", path: ["close"] },
);

/** An opening interval. */
export type OpenInterval = z.infer<typeof OpenIntervalSchema>;

const dayIntervals = z.array(OpenIntervalSchema).max(8).refine((list) => {
  const sorted = list.map((i) => [clockMinutes(i.open)!, clockMinutes(i.close)!] as const)
    .sort((a, b) => a[0] - b[0]);
  return sorted.every((iv, k) => k === 0 || iv[0] >= sorted[k - 1]![1]);
}, "intervals overlap");

/** A calendar date, `YYYY-MM-DD`, that exists. */
export const IsoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((d) => new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d, "no such date");

/** Most holidays a number can list: a year's worth. */
export const MAX_HOLIDAYS = 366;

/** Why call hours that never open are refused (shown next to the weekdays). */
export const NEVER_OPEN_MESSAGE =
  "Give opening hours for at least one day, or leave call hours empty to answer at all hours";

/** Whether some weekday has an opening interval. */
export function opensSomeDay(
  weekly: { readonly [K in Weekday]?: readonly OpenInterval[] | undefined },
): boolean {
  return WEEKDAYS.some((d) => (weekly[d]?.length ?? 0) > 0);
}

/**
 * When the number answers. A weekday without intervals is closed all day; a
 * holiday (a date in the time zone) is closed all day. At least one weekday
 * must have an interval: hours that never open would end every call as
 * `outside_hours`, a number closed for good by a form left half filled in
 * (no call hours at all, the field unset, is how to say "always open").
 */
export const CallHoursSchema = z.object({
  timeZone: z.string().refine(isTimeZone, "an IANA time zone such as Europe/Madrid"),
  weekly: z.object(
    Object.fromEntries(WEEKDAYS.map((d) => [d, dayIntervals.optional()])) as {
      [K in Weekday]: z.ZodOptional<typeof dayIntervals>;
    },
  ).refine(opensSomeDay, NEVER_OPEN_MESSAGE),
  holidays: z.array(IsoDateSchema).max(MAX_HOLIDAYS, `at most ${MAX_HOLIDAYS} holidays`)
    .refine((d) => new Set(d).size === d.length, "a date is listed twice").optional(),
  /** Said to a caller outside hours, then the call ends. */
  outsideHoursMessage: z.string().trim().min(1).max(MAX_OUTSIDE_HOURS_MESSAGE_CHARS).optional(),
});

/** Call hours of a number. */
export type CallHours = z.infer<typeof CallHoursSchema>;

/** Turn detection as OpenAI Realtime GA takes it: server VAD or semantic VAD. */
export const TurnDetectionSettingsSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("server_vad"),
    /** Speech probability threshold, 0 to 1 (service default 0.5). */
    threshold: z.number().min(0).max(1).optional(),
    /** Silence that ends the caller's turn, ms (service default 500). */
    silenceMs: z.int().min(SILENCE_MS_RANGE.min).max(SILENCE_MS_RANGE.max).optional(),
  }),
  z.object({
    type: z.literal("semantic_vad"),
    eagerness: z.enum(EAGERNESS).optional(),
  }),
]);

/** Turn detection settings. */
export type TurnDetectionSettings = z.infer<typeof TurnDetectionSettingsSchema>;

/** A tool name as `AGENT_TOOLS` declares it. */
export const ToolNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "a tool name");

/** The settings of one number; every field optional (unset: the environment's default). */
export const AgentSettingsSchema = z.object({
  /** The system prompt (placeholders as in bridge/agents/instructions.ts). */
  instructions: z.string().trim().min(1).max(20_000).optional(),
  /** The agent's first words, said verbatim when the call is accepted. */
  greeting: z.string().trim().min(1).max(500).optional(),
  voice: z.enum(REALTIME_VOICES).optional(),
  /** The Realtime model, e.g. `gpt-realtime-2.1`. */
  model: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "a model name such as gpt-realtime-2.1")
    .optional(),
  /** The caller's language, ISO-639-1 (transcription hint and the language the agent speaks). */
  language: z.string().regex(/^[a-z]{2}$/, "a two-letter ISO-639-1 code such as es").optional(),
  /** Names of the `AGENT_TOOLS` enabled for this number (`end_call` is always on); unset: all. */
  tools: z.array(ToolNameSchema).max(64)
    .refine((t) => new Set(t).size === t.length, "a tool is listed twice").optional(),
  turnDetection: TurnDetectionSettingsSchema.optional(),
  /** Record this number's calls (needs `RECORDING=on` on the bridge to turn on). */
  recording: z.boolean().optional(),
  /** Longest call, seconds (never longer than the bridge's `MAX_CALL_MINUTES`). */
  maxCallSeconds: z.int().min(MAX_CALL_SECONDS_RANGE.min).max(MAX_CALL_SECONDS_RANGE.max)
    .optional(),
  /** Unset: always open. */
  callHours: CallHoursSchema.optional(),
});

/** The settings of one number. */
export type AgentSettings = z.infer<typeof AgentSettingsSchema>;

/** A field of {@linkcode AgentSettings}. */
export type AgentSettingsField = keyof AgentSettings;

/** The settings' fields in the order the console shows them. */
export const AGENT_SETTINGS_FIELDS = [
  "instructions",
  "greeting",
  "voice",
  "model",
  "language",
  "tools",
  "turnDetection",
  "recording",
  "maxCallSeconds",
  "callHours",
] as const satisfies readonly AgentSettingsField[];

/** Meta's `phone_number_id` (digits in practice; the bridge API takes up to 64 characters). */
export const PhoneNumberIdSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "a phone_number_id");

/**
 * Which fields differ between two versions (a field set in one and unset in
 * the other differs), in {@linkcode AGENT_SETTINGS_FIELDS} order.
 */
export function changedFields(before: AgentSettings, after: AgentSettings): AgentSettingsField[] {
  return AGENT_SETTINGS_FIELDS.filter((f) => stable(before[f]) !== stable(after[f]));
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function stable(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
        : v,
  ) ?? "undefined";
}
