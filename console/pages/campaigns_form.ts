/**
 * The Campaigns page's inputs: the create form (a CSV upload, size-limited,
 * with every bad row named) and the status changes. The campaign itself is
 * checked with the API's own `CreateCampaignBodySchema`, so the console and
 * `wa-campaigns` accept exactly the same campaigns.
 *
 * @module
 */
import { z } from "zod";
import { parseCsvRows } from "../../lib/campaigns/csv.ts";
import {
  type CreateCampaignBody,
  CreateCampaignBodySchema,
  MAX_RECIPIENTS,
  type RecipientInput,
  RecipientSchema,
  RETRYABLE_OUTCOMES,
} from "../../lib/campaigns/schema.ts";
import { WEEKDAYS } from "../../lib/agent_settings/schema.ts";
import { FormKeySchema, PhoneNumberIdSchema } from "./outbound_form.ts";

/** Largest CSV the form takes (the console reads at most 256 KiB per request). */
export const MAX_CSV_BYTES = 200_000;

/** Row errors shown at most; the rest are counted. */
export const MAX_ROW_ERRORS = 50;

const blank = (v: unknown) => typeof v === "string" && v.trim() === "" ? undefined : v;
const list = (v: unknown) => v === undefined ? [] : Array.isArray(v) ? v : [v];
const int = (min: number, max: number, fallback: number) =>
  z.preprocess(
    (v) => blank(v) ?? String(fallback),
    z.coerce.number().int().min(min).max(max),
  );

/** The create form's fields (`parseBody({ all: true })`), the CSV file apart. */
export const CampaignFormSchema = z.object({
  key: FormKeySchema,
  name: z.string().trim().min(1, "give the campaign a name").max(200),
  phone_number_id: PhoneNumberIdSchema,
  csv: z.instanceof(File, { error: "choose a CSV file" }).refine(
    (f) => f.size > 0,
    "the CSV file is empty",
  ).refine((f) => f.size <= MAX_CSV_BYTES, `the CSV file is over ${MAX_CSV_BYTES} bytes`),
  days: z.preprocess(list, z.array(z.enum(WEEKDAYS)).max(7)),
  window_open: z.preprocess(blank, z.string().max(5).optional()),
  window_close: z.preprocess(blank, z.string().max(5).optional()),
  time_zone: z.preprocess(blank, z.string().max(64).optional()),
  max_concurrent: int(1, 1000, 1),
  max_attempts: int(1, 10, 1),
  retry_delay_min: int(0, 10_080, 60),
  retry_on: z.preprocess(list, z.array(z.enum(RETRYABLE_OUTCOMES)).max(2)),
  instructions: z.preprocess(blank, z.string().max(16_000).optional()),
  greeting: z.preprocess(blank, z.string().max(16_000).optional()),
});

/** A checked create form. */
export type CampaignForm = z.infer<typeof CampaignFormSchema>;

/** The recipients of `text`, or every bad row (1-based lines, as a spreadsheet numbers them). */
export function csvRecipients(
  text: string,
): { ok: true; recipients: RecipientInput[] } | { ok: false; errors: string[] } {
  const [header, ...rows] = parseCsvRows(text.replace(/^\uFEFF/, ""));
  if (!header) return { ok: false, errors: ["the CSV is empty"] };
  const names = header.map((h) => h.trim());
  const userCol = names.findIndex((n) => n === "user" || n === "phone");
  if (userCol < 0) {
    return { ok: false, errors: ["line 1: the header needs a user (or phone) column"] };
  }
  if (rows.length === 0) return { ok: false, errors: ["the CSV has no recipients"] };
  if (rows.length > MAX_RECIPIENTS) {
    return { ok: false, errors: [`at most ${MAX_RECIPIENTS} rows`] };
  }
  const errors: string[] = [];
  const recipients: RecipientInput[] = [];
  const seen = new Map<string, number>();
  for (const [k, row] of rows.entries()) {
    const line = k + 2;
    const variables: Record<string, string> = {};
    names.forEach((n, c) => {
      if (c !== userCol && n !== "") variables[n] = (row[c] ?? "").trim();
    });
    const parsed = RecipientSchema.safeParse({
      user: (row[userCol] ?? "").trim().replace(/^\+/, "").replace(/[\s-]/g, ""),
      variables,
    });
    if (!parsed.success) {
      errors.push(`line ${line}: ${parsed.error.issues.map(issueText).join("; ")}`);
      continue;
    }
    const first = seen.get(parsed.data.user);
    if (first !== undefined) {
      errors.push(`line ${line}: the same number as line ${first}`);
      continue;
    }
    seen.set(parsed.data.user, line);
    recipients.push(parsed.data);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, recipients };
}

function issueText(i: z.core.$ZodIssue): string {
  return i.path.length > 0 && i.path[0] === "variables"
    ? `column ${String(i.path[1] ?? "")}: ${i.message}`
    : i.message;
}

/**
 * The API's create body for a checked form and its recipients, checked by
 * `CreateCampaignBodySchema` (window, time zone, retry policy, purpose).
 */
export function campaignBody(
  f: CampaignForm,
  recipients: RecipientInput[],
): { ok: true; body: CreateCampaignBody } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  let window: unknown;
  if (f.days.length > 0 || f.window_open || f.window_close) {
    if (f.days.length === 0) errors.push("window: choose the days calls may be placed");
    if (!f.window_open || !f.window_close) errors.push("window: give the hours (from and to)");
    if (!f.time_zone) errors.push("window: give the time zone, e.g. Europe/Madrid");
    const interval = [{ open: f.window_open ?? "", close: f.window_close ?? "" }];
    window = {
      timeZone: f.time_zone ?? "",
      weekly: Object.fromEntries(f.days.map((d) => [d, interval])),
    };
  }
  const purpose = {
    ...(f.instructions ? { instructions: f.instructions } : {}),
    ...(f.greeting ? { greeting: f.greeting } : {}),
  };
  const parsed = CreateCampaignBodySchema.safeParse({
    name: f.name,
    phone_number_id: f.phone_number_id,
    ...(window === undefined ? {} : { window }),
    max_concurrent: f.max_concurrent,
    retry: { max_attempts: f.max_attempts, delay_s: f.retry_delay_min * 60, on: f.retry_on },
    ...(Object.keys(purpose).length > 0 ? { purpose } : {}),
    recipients,
  });
  if (!parsed.success) {
    errors.push(
      ...parsed.error.issues.map((i) =>
        `${i.path.filter((p) => p !== "weekly").join(" ")}: ${i.message}`
      ),
    );
  }
  if (errors.length > 0 || !parsed.success) return { ok: false, errors: [...new Set(errors)] };
  return { ok: true, body: parsed.data };
}

/** `/campaigns/:id` and `/campaigns/:id/:action`. */
export const CampaignParamsSchema = z.object({
  id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

/** The status changes an operator may ask for. */
export const CampaignActionSchema = z.enum(["pause", "resume", "cancel"]);

/** Which states each change applies to (as `wa-campaigns` answers 409 otherwise). */
export const ALLOWED_FROM: Readonly<
  Record<z.infer<typeof CampaignActionSchema>, readonly string[]>
> = {
  pause: ["active"],
  resume: ["paused"],
  cancel: ["active", "paused"],
};

/** `?page=` of the recipients table. */
export const RecipientsQuerySchema = z.object({
  page: z.preprocess(blank, z.coerce.number().int().min(1).max(1000).default(1)),
  created: z.string().max(10).optional(),
});
