/**
 * The agent settings form of the Agents page: its fields as posted (plain
 * strings, checked by zod), their conversion to {@linkcode AgentSettings}
 * (an empty field is an unset setting, so the environment's default
 * applies), the reverse for editing, and each zod issue mapped back to the
 * field that caused it.
 *
 * Call hours are typed as text, one field per weekday (`09:00-12:00,
 * 13:00-17:30`; empty: closed that day) and holidays as dates separated by
 * spaces, commas or lines: the page works without JavaScript. Every call-hours
 * field left empty means no call hours (always open); once any is filled in,
 * at least one weekday needs hours (the schema refuses hours that never open).
 *
 * @module
 */
import { z } from "zod";
import {
  type AgentSettings,
  AgentSettingsSchema,
  type OpenInterval,
  type Weekday,
  WEEKDAYS,
} from "../../lib/agent_settings/schema.ts";

/** The form's text fields, in page order. */
export const TEXT_FIELDS = [
  "instructions",
  "greeting",
  "voice",
  "model",
  "language",
  "tools_mode",
  "td_type",
  "td_threshold",
  "td_silence_ms",
  "td_eagerness",
  "recording",
  "max_call_seconds",
  "tz",
  ...WEEKDAYS.map((d) => `hours_${d}` as const),
  "holidays",
  "outside_message",
] as const;

/** A text field's name. */
export type TextField = typeof TEXT_FIELDS[number];

/**
 * A field's name: `tools` (the ticked tools) and `weekly` (the weekday fields
 * as a group, for an error about the week as a whole) included.
 */
export type FormField = TextField | "tools" | "weekly";

/** The form as posted (or as filled in for editing). */
export type AgentForm = Record<TextField, string> & { tools: string[] };

const text = z.string().max(20_000).optional().default("");
const PostedSchema = z.object({
  ...Object.fromEntries(TEXT_FIELDS.map((f) => [f, text])) as Record<TextField, typeof text>,
  tools: z.union([z.string().max(64), z.array(z.string().max(64)).max(64)]).optional()
    .transform((t) => t === undefined ? [] : Array.isArray(t) ? t : [t]),
  expected_version: z.coerce.number().int().min(0),
});

/** A posted form and the version its editor started from. */
export interface PostedForm {
  form: AgentForm;
  expectedVersion: number;
}

/** Reads a posted body (`parseBody({ all: true })`); `undefined` when it is not this form. */
export function readPostedForm(body: Record<string, unknown>): PostedForm | undefined {
  const parsed = PostedSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { expected_version: expectedVersion, ...form } = parsed.data;
  return { form, expectedVersion };
}

const trimmed = (v: string) => v.trim() === "" ? undefined : v.trim();
const number = (v: string) => v.trim() === "" ? undefined : Number(v.trim());

/** `09:00-12:00, 13:00-17:30` as intervals; a part that is no interval is kept for zod to name. */
function intervals(v: string): OpenInterval[] | undefined {
  const parts = v.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return undefined;
  return parts.map((p) => {
    const m = /^(\S+?)\s*[-–]\s*(\S+)$/.exec(p);
    return m ? { open: m[1]!, close: m[2]! } : { open: p, close: "" };
  });
}

/** Drops the keys whose value is `undefined` (an unset setting). */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function turnDetection(f: AgentForm): unknown {
  switch (f.td_type) {
    case "":
      return undefined;
    case "server_vad":
      return defined({
        type: "server_vad",
        threshold: number(f.td_threshold),
        silenceMs: number(f.td_silence_ms),
      });
    case "semantic_vad":
      return defined({ type: "semantic_vad", eagerness: trimmed(f.td_eagerness) });
    default:
      return { type: f.td_type };
  }
}

function callHours(f: AgentForm): unknown {
  const weekly = defined(
    Object.fromEntries(WEEKDAYS.map((d) => [d, intervals(f[`hours_${d}`])])),
  );
  const holidays = f.holidays.split(/[\s,;]+/).filter((d) => d !== "");
  const message = trimmed(f.outside_message);
  if (!trimmed(f.tz) && Object.keys(weekly).length === 0 && holidays.length === 0 && !message) {
    return undefined; // nothing given: always open
  }
  return defined({
    timeZone: f.tz.trim(),
    weekly,
    holidays: holidays.length ? holidays : undefined,
    outsideHoursMessage: message,
  });
}

/** The settings object a form describes, before validation. */
export function settingsInput(f: AgentForm): Record<string, unknown> {
  return defined({
    instructions: trimmed(f.instructions),
    greeting: trimmed(f.greeting),
    voice: trimmed(f.voice),
    model: trimmed(f.model),
    language: trimmed(f.language),
    tools: f.tools_mode === "custom" ? f.tools : undefined,
    turnDetection: turnDetection(f),
    recording: f.recording === "on" ? true : f.recording === "off" ? false : undefined,
    maxCallSeconds: number(f.max_call_seconds),
    callHours: callHours(f),
  });
}

/** Field errors, by field: the first message for each. */
export type FieldErrors = Partial<Record<FormField, string>>;

/** The field a zod issue path points at. */
export function fieldOf(path: readonly PropertyKey[]): FormField {
  const [first, second, third] = path.map(String);
  switch (first) {
    case "turnDetection":
      return second === "threshold"
        ? "td_threshold"
        : second === "silenceMs"
        ? "td_silence_ms"
        : second === "eagerness"
        ? "td_eagerness"
        : "td_type";
    case "maxCallSeconds":
      return "max_call_seconds";
    case "callHours":
      if (second === "weekly") {
        return WEEKDAYS.includes(third as Weekday) ? `hours_${third as Weekday}` : "weekly";
      }
      return second === "holidays"
        ? "holidays"
        : second === "outsideHoursMessage"
        ? "outside_message"
        : "tz";
    case "instructions":
    case "greeting":
    case "voice":
    case "model":
    case "language":
    case "tools":
    case "recording":
      return first;
    default:
      return "instructions";
  }
}

/** Validates a form: the settings, or the error of each field at fault. */
export function settingsFromForm(
  f: AgentForm,
): { ok: true; settings: AgentSettings } | { ok: false; errors: FieldErrors } {
  const parsed = AgentSettingsSchema.safeParse(settingsInput(f));
  if (parsed.success) return { ok: true, settings: parsed.data };
  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) errors[fieldOf(issue.path)] ??= issue.message;
  return { ok: false, errors };
}

const hoursText = (list: readonly OpenInterval[] | undefined) =>
  (list ?? []).map((i) => `${i.open}-${i.close}`).join(", ");

/** The form filled in with `s` (unset settings stay empty). */
export function formFromSettings(s: AgentSettings): AgentForm {
  const td = s.turnDetection;
  const h = s.callHours;
  return {
    instructions: s.instructions ?? "",
    greeting: s.greeting ?? "",
    voice: s.voice ?? "",
    model: s.model ?? "",
    language: s.language ?? "",
    tools_mode: s.tools === undefined ? "default" : "custom",
    tools: [...(s.tools ?? [])],
    td_type: td?.type ?? "",
    td_threshold: td?.type === "server_vad" ? String(td.threshold ?? "") : "",
    td_silence_ms: td?.type === "server_vad" ? String(td.silenceMs ?? "") : "",
    td_eagerness: td?.type === "semantic_vad" ? td.eagerness ?? "" : "",
    recording: s.recording === undefined ? "" : s.recording ? "on" : "off",
    max_call_seconds: s.maxCallSeconds === undefined ? "" : String(s.maxCallSeconds),
    tz: h?.timeZone ?? "",
    hours_mon: hoursText(h?.weekly.mon),
    hours_tue: hoursText(h?.weekly.tue),
    hours_wed: hoursText(h?.weekly.wed),
    hours_thu: hoursText(h?.weekly.thu),
    hours_fri: hoursText(h?.weekly.fri),
    hours_sat: hoursText(h?.weekly.sat),
    hours_sun: hoursText(h?.weekly.sun),
    holidays: (h?.holidays ?? []).join("\n"),
    outside_message: h?.outsideHoursMessage ?? "",
  };
}
