/**
 * The dialers' side of campaigns and callbacks: dialers in any number of
 * bridges claim due recipients here. The campaign row is locked `FOR UPDATE`
 * (so the in-flight count, the concurrency limit, is exact across bridges),
 * the recipients with `FOR UPDATE SKIP LOCKED`, and each claim holds a lease.
 * A lease that lapses (its dialer died) is taken over at the same placement,
 * whose Idempotency-Key replays the first call instead of ringing again.
 * Times come from the caller's clock, never `now()`, so tests drive them.
 *
 * @module
 */
import type { SqlAdapter } from "./adapter.ts";
import type { RecipientOutcome } from "../lib/campaigns/schema.ts";
import {
  type AttemptRecord,
  AttemptSchema,
  C,
  type Campaign,
  type ClaimedRecipient,
  completeIfDrained,
  iso,
  parseCampaign,
  parseRecipient,
  placementKey,
  R,
  RR,
} from "./campaign_rows.ts";

/** The dialers' side of the campaign store: claims, leases, outcomes. */
export interface CampaignQueueStore {
  /** Active campaigns with a recipient due at `now` (queued and due, or a lapsed lease). */
  listDialableCampaigns(now: Date): Promise<Campaign[]>;
  /** Claims up to `max` due recipients within the campaign's concurrency limit. */
  claimRecipients(
    campaignId: number,
    opts: { owner: string; now: Date; leaseMs: number; max: number },
  ): Promise<ClaimedRecipient[]>;
  /** Records the placement's call id (the attempt row is written on first start). */
  recordAttemptCall(
    c: ClaimedRecipient,
    owner: string,
    callId: string | null,
    now: Date,
  ): Promise<void>;
  /** Extends the leases `owner` holds; false when one was lost. */
  renewLease(recipientId: number, owner: string, until: Date): Promise<boolean>;
  /**
   * Ends the placement with `outcome`: retried per the policy (queued again
   * after the delay) or final. Ignored (false) when `owner` lost the lease.
   */
  finishAttempt(
    recipientId: number,
    owner: string,
    outcome: RecipientOutcome,
    now: Date,
    detail?: string,
  ): Promise<boolean>;
  /** Gives the recipient back without using an attempt (nothing rang), due at `retryAt`. */
  releaseRecipient(
    recipientId: number,
    owner: string,
    retryAt: Date,
    detail: string,
  ): Promise<void>;
  /** Attempts of a recipient, placement order. */
  listRecipientAttempts(recipientId: number): Promise<AttemptRecord[]>;
}

async function claim(
  db: SqlAdapter,
  campaignId: number,
  o: { owner: string; now: Date; leaseMs: number; max: number },
): Promise<ClaimedRecipient[]> {
  return await db.transaction(async (tx) => {
    // The campaign lock serializes claimers of this campaign: the count below stays true.
    const locked = await tx.query(
      `select ${C} from public.wa_campaigns where id = $1 and status = 'active' for update`,
      [campaignId],
    );
    if (locked[0] === undefined) return [];
    const campaign = parseCampaign(locked[0]);
    const busy = await tx.query<{ n: number | string }>(
      `select count(*) as n from public.wa_campaign_recipients
       where campaign_id = $1 and status = 'dialing' and lease_until > $2::timestamptz`,
      [campaignId, iso(o.now)],
    );
    const room = Math.min(o.max, campaign.maxConcurrent - Number(busy[0]?.n ?? 0));
    if (room <= 0) return [];
    const rows = await tx.query(
      `with due as (
         select id from public.wa_campaign_recipients
         where campaign_id = $1 and (
           (status = 'queued' and next_attempt_at <= $2::timestamptz)
           or (status = 'dialing' and lease_until <= $2::timestamptz))
         order by (status = 'dialing') desc, next_attempt_at, id
         limit $3
         for update skip locked)
       update public.wa_campaign_recipients r set
         attempts = case when r.status = 'queued' then r.attempts + 1 else r.attempts end,
         dial_seq = case when r.status = 'queued' then r.dial_seq + 1 else r.dial_seq end,
         status = 'dialing', lease_owner = $4, lease_until = $5::timestamptz,
         call_id = case when r.status = 'queued' then null else r.call_id end,
         updated_at = $2::timestamptz
       from due where r.id = due.id
       returning ${RR}`,
      [campaignId, iso(o.now), room, o.owner, iso(new Date(o.now.getTime() + o.leaseMs))],
    );
    const claimed = rows.map(parseRecipient).sort((a, b) => a.id - b.id);
    const out: ClaimedRecipient[] = [];
    for (const recipient of claimed) {
      const key = placementKey(recipient.id, recipient.dialSeq);
      const started = await tx.query(
        `insert into public.wa_campaign_attempts
           (recipient_id, dial_seq, attempt, idempotency_key, dialer, started_at)
         values ($1, $2, $3, $4, $5, $6::timestamptz)
         on conflict (recipient_id, dial_seq) do nothing
         returning dial_seq`,
        [recipient.id, recipient.dialSeq, recipient.attempts, key, o.owner, iso(o.now)],
      );
      const resumed = started[0] === undefined;
      if (resumed) {
        await tx.query(
          `update public.wa_campaign_attempts set dialer = $3
           where recipient_id = $1 and dial_seq = $2`,
          [recipient.id, recipient.dialSeq, o.owner],
        );
      }
      out.push({ recipient, campaign, idempotencyKey: key, resumed });
    }
    return out;
  });
}

async function finish(
  db: SqlAdapter,
  recipientId: number,
  owner: string,
  outcome: RecipientOutcome,
  now: Date,
  detail: string | null,
): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const rows = await tx.query(
      `select ${R} from public.wa_campaign_recipients
       where id = $1 and status = 'dialing' and lease_owner = $2 for update`,
      [recipientId, owner],
    );
    if (rows[0] === undefined) return false;
    const r = parseRecipient(rows[0]);
    const campaigns = await tx.query(`select ${C} from public.wa_campaigns where id = $1`, [
      r.campaignId,
    ]);
    const c = parseCampaign(campaigns[0]);
    const retry = c.status !== "cancelled" && r.attempts < c.maxAttempts &&
      (c.retryOn as readonly string[]).includes(outcome);
    await tx.query(
      `update public.wa_campaign_attempts set outcome = $3, detail = $4, ended_at = $5::timestamptz
       where recipient_id = $1 and dial_seq = $2`,
      [recipientId, r.dialSeq, outcome, detail, iso(now)],
    );
    await tx.query(
      `update public.wa_campaign_recipients set
         status = $2, outcome = $3, next_attempt_at = $4::timestamptz, lease_owner = null,
         lease_until = null, last_error = $5, updated_at = $6::timestamptz
       where id = $1`,
      [
        recipientId,
        retry ? "queued" : "done",
        retry ? null : outcome,
        iso(new Date(now.getTime() + (retry ? c.retryDelayS * 1000 : 0))),
        detail,
        iso(now),
      ],
    );
    await completeIfDrained(tx, c, now);
    return true;
  });
}

/** The queue methods over `db` (spread into {@linkcode campaignMethods}). */
export function campaignQueueMethods(db: SqlAdapter): CampaignQueueStore {
  return {
    async listDialableCampaigns(now) {
      const rows = await db.query(
        `select ${C} from public.wa_campaigns c where status = 'active' and exists (
           select 1 from public.wa_campaign_recipients r where r.campaign_id = c.id and (
             (r.status = 'queued' and r.next_attempt_at <= $1::timestamptz)
             or (r.status = 'dialing' and r.lease_until <= $1::timestamptz)))
         order by id`,
        [iso(now)],
      );
      return rows.map(parseCampaign);
    },

    claimRecipients: (campaignId, opts) => claim(db, campaignId, opts),

    async recordAttemptCall(c, owner, callId, now) {
      await db.query(
        `update public.wa_campaign_recipients set call_id = $3, updated_at = $4::timestamptz
         where id = $1 and lease_owner = $2`,
        [c.recipient.id, owner, callId, iso(now)],
      );
      await db.query(
        `update public.wa_campaign_attempts set call_id = $3
         where recipient_id = $1 and dial_seq = $2`,
        [c.recipient.id, c.recipient.dialSeq, callId],
      );
    },

    async renewLease(recipientId, owner, until) {
      const rows = await db.query(
        `update public.wa_campaign_recipients set lease_until = $3::timestamptz
         where id = $1 and lease_owner = $2 and status = 'dialing' returning id`,
        [recipientId, owner, iso(until)],
      );
      return rows.length > 0;
    },

    finishAttempt: (recipientId, owner, outcome, now, detail) =>
      finish(db, recipientId, owner, outcome, now, detail ?? null),

    async releaseRecipient(recipientId, owner, retryAt, detail) {
      await db.transaction(async (tx) => {
        const rows = await tx.query<{ dialSeq: number }>(
          `update public.wa_campaign_recipients set status = 'queued', attempts = attempts - 1,
             next_attempt_at = $3::timestamptz, lease_owner = null, lease_until = null,
             last_error = $4
           where id = $1 and lease_owner = $2 and status = 'dialing'
           returning dial_seq as "dialSeq"`,
          [recipientId, owner, iso(retryAt), detail],
        );
        if (rows[0] === undefined) return;
        await tx.query(
          `update public.wa_campaign_attempts set outcome = 'released', detail = $3
           where recipient_id = $1 and dial_seq = $2`,
          [recipientId, rows[0].dialSeq, detail],
        );
      });
    },

    async listRecipientAttempts(recipientId) {
      const rows = await db.query(
        `select dial_seq as "dialSeq", attempt, idempotency_key as "idempotencyKey", dialer,
           call_id as "callId", outcome, started_at as "startedAt", ended_at as "endedAt"
         from public.wa_campaign_attempts where recipient_id = $1 order by dial_seq`,
        [recipientId],
      );
      return rows.map((r) => AttemptSchema.parse(r));
    },
  };
}
