/**
 * Campaigns of business-initiated calls (`wa_campaigns`,
 * `wa_campaign_recipients`, `wa_campaign_attempts`): the API's side (create
 * idempotently by key, list, read, counts, pause / resume / cancel). The
 * dialers' side (claims, leases, outcomes) is `campaign_queue.ts`; callbacks
 * are `callbacks.ts`. Times come from the caller's clock, never `now()`.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlExecutor } from "./adapter.ts";
import { CallHoursSchema } from "../lib/agent_settings/schema.ts";
import { CallPurposeSchema } from "../lib/bridge_api/schema.ts";
import {
  RECIPIENT_OUTCOMES,
  type RecipientInput,
  type RecipientOutcome,
} from "../lib/campaigns/schema.ts";
import {
  C,
  type Campaign,
  type CampaignRecipient,
  completeIfDrained,
  iso,
  parseCampaign,
  parseRecipient,
  R,
} from "./campaign_rows.ts";
import { campaignQueueMethods, type CampaignQueueStore } from "./campaign_queue.ts";

export type {
  AttemptRecord,
  Campaign,
  CampaignRecipient,
  ClaimedRecipient,
} from "./campaign_rows.ts";
export { placementKey } from "./campaign_rows.ts";
export type { CampaignQueueStore } from "./campaign_queue.ts";

/** Input of {@linkcode CampaignStore.createCampaign}. */
export interface NewCampaign {
  phoneNumberId: string;
  name: string;
  idempotencyKey?: string | undefined;
  requestHash?: string | undefined;
  window?: z.infer<typeof CallHoursSchema> | undefined;
  maxConcurrent: number;
  maxAttempts: number;
  retryDelayS: number;
  retryOn: readonly RecipientOutcome[];
  purpose?: z.infer<typeof CallPurposeSchema> | undefined;
  recipients: readonly RecipientInput[];
}

/** Counts of a campaign's recipients by status and outcome. */
export interface CampaignCounts {
  queued: number;
  dialing: number;
  done: number;
  outcomes: Partial<Record<RecipientOutcome, number>>;
}

/** The store's campaign methods. */
export interface CampaignStore extends CampaignQueueStore {
  /** Creates a campaign with its recipients, or returns the one that holds the Idempotency-Key. */
  createCampaign(
    input: NewCampaign,
    now: Date,
  ): Promise<{ kind: "created" | "existing"; campaign: Campaign }>;
  getCampaign(id: number): Promise<Campaign | null>;
  /** Newest first. */
  listCampaigns(opts?: { phoneNumberId?: string; limit?: number }): Promise<Campaign[]>;
  campaignCounts(id: number): Promise<CampaignCounts>;
  /** In id order. */
  listCampaignRecipients(
    id: number,
    opts?: { limit?: number; offset?: number },
  ): Promise<CampaignRecipient[]>;
  /** pause / resume / cancel; cancel ends every queued recipient as `cancelled`. Null: no campaign. */
  changeCampaignStatus(
    id: number,
    action: "pause" | "resume" | "cancel",
    now: Date,
  ): Promise<Campaign | null>;
}

async function insertRecipients(
  tx: SqlExecutor,
  campaignId: number,
  recipients: readonly RecipientInput[],
  now: Date,
): Promise<void> {
  // Batches keep each statement's parameter count well under Postgres's 65535.
  for (let i = 0; i < recipients.length; i += 500) {
    const batch = recipients.slice(i, i + 500);
    await tx.query(
      `insert into public.wa_campaign_recipients (campaign_id, user_key, variables, next_attempt_at)
       select $1, r.user_key, r.variables, $2::timestamptz
       from jsonb_to_recordset($3::text::jsonb) as r(user_key text, variables jsonb)
       on conflict do nothing`,
      [
        campaignId,
        iso(now),
        JSON.stringify(batch.map((r) => ({ user_key: r.user, variables: r.variables }))),
      ],
    );
  }
}

async function createCampaign(db: SqlAdapter, input: NewCampaign, now: Date) {
  return await db.transaction(async (tx) => {
    const inserted = await tx.query(
      `insert into public.wa_campaigns (phone_number_id, name, idempotency_key, request_hash,
         call_window, max_concurrent, max_attempts, retry_delay_s, retry_on, purpose,
         created_at, updated_at)
       values ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9::text::jsonb, $10::text::jsonb,
         $11::timestamptz, $11::timestamptz)
       on conflict (phone_number_id, idempotency_key) where idempotency_key is not null do nothing
       returning ${C}`,
      [
        input.phoneNumberId,
        input.name,
        input.idempotencyKey ?? null,
        input.requestHash ?? null,
        JSON.stringify(input.window ?? null),
        input.maxConcurrent,
        input.maxAttempts,
        input.retryDelayS,
        JSON.stringify(input.retryOn),
        JSON.stringify(input.purpose ?? null),
        iso(now),
      ],
    );
    if (inserted[0] === undefined) {
      const rows = await tx.query(
        `select ${C} from public.wa_campaigns where phone_number_id = $1 and idempotency_key = $2`,
        [input.phoneNumberId, input.idempotencyKey ?? null],
      );
      return { kind: "existing" as const, campaign: parseCampaign(rows[0]) };
    }
    const campaign = parseCampaign(inserted[0]);
    await insertRecipients(tx, campaign.id, input.recipients, now);
    return { kind: "created" as const, campaign };
  });
}

async function changeStatus(
  db: SqlAdapter,
  id: number,
  action: "pause" | "resume" | "cancel",
  now: Date,
): Promise<Campaign | null> {
  return await db.transaction(async (tx) => {
    const rows = await tx.query(`select ${C} from public.wa_campaigns where id = $1 for update`, [
      id,
    ]);
    if (rows[0] === undefined) return null;
    const c = parseCampaign(rows[0]);
    const from = { pause: ["active"], resume: ["paused"], cancel: ["active", "paused"] }[action];
    if (from.includes(c.status)) {
      const to = { pause: "paused", resume: "active", cancel: "cancelled" }[action];
      await tx.query(
        `update public.wa_campaigns set status = $2, updated_at = $3::timestamptz where id = $1`,
        [id, to, iso(now)],
      );
      if (action === "cancel") {
        // Calls already ringing finish and keep their outcome; nothing queued is dialed.
        await tx.query(
          `update public.wa_campaign_recipients set status = 'done', outcome = 'cancelled',
             updated_at = $2::timestamptz
           where campaign_id = $1 and status = 'queued'`,
          [id, iso(now)],
        );
      }
      if (action === "resume") await completeIfDrained(tx, { ...c, status: "active" }, now);
    }
    const after = await tx.query(`select ${C} from public.wa_campaigns where id = $1`, [id]);
    return parseCampaign(after[0]);
  });
}

/** The methods over `db`, spread into `createStore`. */
export function campaignMethods(db: SqlAdapter): CampaignStore {
  return {
    createCampaign: (input, now) => createCampaign(db, input, now),

    async getCampaign(id) {
      const rows = await db.query(`select ${C} from public.wa_campaigns where id = $1`, [id]);
      return rows[0] === undefined ? null : parseCampaign(rows[0]);
    },

    async listCampaigns(opts = {}) {
      const rows = await db.query(
        `select ${C} from public.wa_campaigns where ($1::text is null or phone_number_id = $1)
         order by id desc limit $2`,
        [opts.phoneNumberId ?? null, Math.min(Math.max(opts.limit ?? 50, 1), 500)],
      );
      return rows.map(parseCampaign);
    },

    async campaignCounts(id) {
      const rows = await db.query<{ status: string; outcome: string | null; n: number | string }>(
        `select status, outcome, count(*) as n from public.wa_campaign_recipients
         where campaign_id = $1 group by status, outcome`,
        [id],
      );
      const counts: CampaignCounts = { queued: 0, dialing: 0, done: 0, outcomes: {} };
      for (const r of rows) {
        const n = Number(r.n);
        if (r.status === "queued" || r.status === "dialing" || r.status === "done") {
          counts[r.status] += n;
        }
        const o = z.enum(RECIPIENT_OUTCOMES).safeParse(r.outcome);
        if (r.status === "done" && o.success) {
          counts.outcomes[o.data] = (counts.outcomes[o.data] ?? 0) + n;
        }
      }
      return counts;
    },

    async listCampaignRecipients(id, opts = {}) {
      const rows = await db.query(
        `select ${R} from public.wa_campaign_recipients where campaign_id = $1
         order by id limit $2 offset $3`,
        [id, Math.min(Math.max(opts.limit ?? 100, 1), 10_000), Math.max(opts.offset ?? 0, 0)],
      );
      return rows.map(parseRecipient);
    },

    changeCampaignStatus: (id, action, now) => changeStatus(db, id, action, now),
    ...campaignQueueMethods(db),
  };
}
