/**
 * Campaigns of business-initiated calls (issue 17): what a client sends to
 * create one (recipients as JSON or CSV, a calling window with an IANA time
 * zone, a concurrency limit, a retry policy, the call's purpose), and the
 * outcomes a recipient ends with.
 *
 * @module
 */
import { z } from "zod";
import { CallHoursSchema } from "../agent_settings/schema.ts";
import { CallPurposeSchema } from "../bridge_api/schema.ts";

/** How a recipient ended. `answered`: the user picked up (the call completed or was accepted). */
export const RECIPIENT_OUTCOMES = [
  "answered",
  "no_answer",
  "rejected",
  "no_permission",
  "failed",
  "cancelled",
] as const;

/** A recipient's final outcome, or one attempt's. */
export type RecipientOutcome = typeof RECIPIENT_OUTCOMES[number];

/** Outcomes a retry policy may retry (Meta: `REJECTED` status, or no pickup in time). */
export const RETRYABLE_OUTCOMES = ["no_answer", "rejected"] as const;

/** Most recipients one request may carry. */
export const MAX_RECIPIENTS = 10_000;

const VariablesSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
  z.string().max(2000),
).refine((v) => Object.keys(v).length <= 50, "at most 50 variables");

/** One recipient: the WhatsApp number and the variables its greeting and instructions use. */
export const RecipientSchema = z.object({
  user: z.string().regex(/^\d{6,15}$/, "user must be the WhatsApp number (6-15 digits)"),
  variables: VariablesSchema.default({}),
});

/** A recipient as given. */
export type RecipientInput = z.infer<typeof RecipientSchema>;

/** The retry policy: which outcomes are retried, how often, after how long. */
export const RetryPolicySchema = z.object({
  max_attempts: z.number().int().min(1).max(10).default(1),
  delay_s: z.number().int().min(0).max(604_800).default(3600),
  on: z.array(z.enum(RETRYABLE_OUTCOMES)).default(["no_answer", "rejected"]),
});

/** `POST /wa-campaigns`: a campaign with its recipients (`recipients` JSON or `recipients_csv`). */
export const CreateCampaignBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  phone_number_id: z.string().regex(/^\d{1,30}$/, "phone_number_id must be digits").optional(),
  /** When calls may be placed, in the recipients' (or the business's) time zone; absent: any time. */
  window: CallHoursSchema.optional(),
  max_concurrent: z.number().int().min(1).max(1000).default(1),
  retry: RetryPolicySchema.default({
    max_attempts: 1,
    delay_s: 3600,
    on: ["no_answer", "rejected"],
  }),
  purpose: CallPurposeSchema.omit({ variables: true }).optional(),
  recipients: z.array(RecipientSchema).max(MAX_RECIPIENTS).optional(),
  /** CSV with a header row: a `user` (or `phone`) column, every other column a variable. */
  recipients_csv: z.string().max(2_000_000).optional(),
}).refine((b) => (b.recipients === undefined) !== (b.recipients_csv === undefined), {
  error: "give exactly one of recipients or recipients_csv",
});

/** A parsed create body. */
export type CreateCampaignBody = z.infer<typeof CreateCampaignBodySchema>;

/** Fills `{{name}}` placeholders from `variables`; unknown names stay as written. */
export function fillTemplate(text: string, variables: Readonly<Record<string, string>>): string {
  return text.replace(
    /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (whole, name: string) => Object.hasOwn(variables, name) ? variables[name]! : whole,
  );
}
