/**
 * Rows of the campaign tables as the store reads them (zod at the database
 * boundary), their column lists, and the one rule both the API side
 * (`campaigns.ts`) and the dialers' side (`campaign_queue.ts`) apply: a
 * campaign whose recipients are all done is `completed`.
 *
 * @module
 */
import { z } from "zod";
import type { SqlExecutor } from "./adapter.ts";
import { CallHoursSchema } from "../lib/agent_settings/schema.ts";
import { CallPurposeSchema } from "../lib/bridge_api/schema.ts";
import { RECIPIENT_OUTCOMES, RETRYABLE_OUTCOMES } from "../lib/campaigns/schema.ts";

/** A campaign as stored. */
export type Campaign = z.infer<typeof CampaignSchema>;
/** A recipient as stored. */
export type CampaignRecipient = z.infer<typeof RecipientRowSchema>;

/** A recipient a dialer holds the lease on, with what it needs to place the call. */
export interface ClaimedRecipient {
  recipient: CampaignRecipient;
  campaign: Campaign;
  /** The placement's Idempotency-Key for wa-outbound-calls. */
  idempotencyKey: string;
  /** True when an expired lease was taken over: the placement may already have rung. */
  resumed: boolean;
}

/** One placement. */
export interface AttemptRecord {
  dialSeq: number;
  attempt: number;
  idempotencyKey: string;
  dialer: string;
  callId: string | null;
  outcome: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

const json = z.unknown().transform((v) => typeof v === "string" ? JSON.parse(v) as unknown : v);
const date = z.coerce.date();

/** A `wa_campaigns` row. */
export const CampaignSchema = z.object({
  id: z.coerce.number().int(),
  phoneNumberId: z.string(),
  kind: z.enum(["campaign", "callbacks"]),
  name: z.string(),
  idempotencyKey: z.string().nullable(),
  requestHash: z.string().nullable(),
  status: z.enum(["active", "paused", "cancelled", "completed"]),
  window: json.pipe(CallHoursSchema.nullable()),
  maxConcurrent: z.number().int(),
  maxAttempts: z.number().int(),
  retryDelayS: z.number().int(),
  retryOn: json.pipe(z.array(z.enum(RETRYABLE_OUTCOMES))),
  purpose: json.pipe(CallPurposeSchema.nullable()),
  createdAt: date,
  updatedAt: date,
});

/** A `wa_campaign_recipients` row. */
export const RecipientRowSchema = z.object({
  id: z.coerce.number().int(),
  campaignId: z.coerce.number().int(),
  user: z.string(),
  variables: json.pipe(z.record(z.string(), z.string())),
  originCallId: z.string().nullable(),
  originReason: z.string().nullable(),
  status: z.enum(["queued", "dialing", "done"]),
  outcome: z.enum(RECIPIENT_OUTCOMES).nullable(),
  attempts: z.number().int(),
  dialSeq: z.number().int(),
  nextAttemptAt: date,
  leaseOwner: z.string().nullable(),
  leaseUntil: date.nullable(),
  callId: z.string().nullable(),
  lastError: z.string().nullable(),
});

/** A `wa_campaign_attempts` row. */
export const AttemptSchema = z.object({
  dialSeq: z.number().int(),
  attempt: z.number().int(),
  idempotencyKey: z.string(),
  dialer: z.string(),
  callId: z.string().nullable(),
  outcome: z.string().nullable(),
  startedAt: date,
  endedAt: date.nullable(),
});

/** `wa_campaigns` columns as {@linkcode CampaignSchema} names them. */
export const C = `id, phone_number_id as "phoneNumberId", kind, name,
  idempotency_key as "idempotencyKey", request_hash as "requestHash", status,
  call_window as "window", max_concurrent as "maxConcurrent", max_attempts as "maxAttempts",
  retry_delay_s as "retryDelayS", retry_on as "retryOn", purpose,
  created_at as "createdAt", updated_at as "updatedAt"`;

/** `wa_campaign_recipients` columns as {@linkcode RecipientRowSchema} names them. */
export const R = `id, campaign_id as "campaignId", user_key as "user", variables,
  origin_call_id as "originCallId", origin_reason as "originReason", status, outcome, attempts,
  dial_seq as "dialSeq", next_attempt_at as "nextAttemptAt", lease_owner as "leaseOwner",
  lease_until as "leaseUntil", call_id as "callId", last_error as "lastError"`;

/** {@linkcode R} with every column qualified by `r.` (an UPDATE … FROM needs it). */
export const RR = R.replaceAll(/(^|,\s*)([a-z_]+)/g, "$1r.$2");

/** Parses a campaign row. */
export const parseCampaign = (row: unknown) => CampaignSchema.parse(row);
/** Parses a recipient row. */
export const parseRecipient = (row: unknown) => RecipientRowSchema.parse(row);
/** A date as the `$n::timestamptz` text parameter. */
export const iso = (d: Date) => d.toISOString();

/** The key of a placement: derived from recipient and placement, stable across dialers. */
export function placementKey(recipientId: number, dialSeq: number): string {
  return `campaign-recipient-${recipientId}-placement-${dialSeq}`;
}

/** A campaign whose recipients are all done is `completed` (callback lists stay active). */
export async function completeIfDrained(tx: SqlExecutor, c: Campaign, now: Date): Promise<void> {
  if (c.kind !== "campaign" || c.status !== "active") return;
  await tx.query(
    `update public.wa_campaigns set status = 'completed', updated_at = $2::timestamptz
     where id = $1 and status = 'active' and not exists (
       select 1 from public.wa_campaign_recipients where campaign_id = $1 and status <> 'done')`,
    [c.id, iso(now)],
  );
}
