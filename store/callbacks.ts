/**
 * Callbacks (issue 17): a caller whose call was missed, refused for capacity
 * or ended outside hours is called back once. Each number has one
 * `wa_campaigns` row of kind `callbacks`; each missed call becomes at most one
 * recipient (unique `origin_call_id`), dialed by the same dialers, leases and
 * Idempotency-Keys as campaign recipients.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";

/** Why a user-initiated call qualifies for a callback. */
export type CallbackReason = "missed" | "outside_hours";

/** A user-initiated call that ended without the caller being served. */
export interface CallbackCandidate {
  callId: string;
  phoneNumberId: string;
  user: string;
  reason: CallbackReason;
  endedAt: Date;
}

/** The store's callback methods. */
export interface CallbackStore {
  /** Queues a callback for a missed call (once per call); false when it was already queued. */
  enqueueCallback(
    input: { phoneNumberId: string; user: string; originCallId: string; reason: string },
    now: Date,
  ): Promise<boolean>;
  /**
   * User-initiated calls ended after `since` that were never answered (missed,
   * refused for capacity, abandoned while ringing) or ended `outside_hours`,
   * and have no callback yet. Oldest first.
   */
  listCallbackCandidates(since: Date, limit?: number): Promise<CallbackCandidate[]>;
}

const CandidateSchema = z.object({
  callId: z.string(),
  phoneNumberId: z.string(),
  user: z.string(),
  reason: z.enum(["missed", "outside_hours"]),
  endedAt: z.coerce.date(),
});

/** The methods over `db`, spread into `createStore`. */
export function callbackMethods(db: SqlAdapter): CallbackStore {
  return {
    async enqueueCallback(input, now) {
      return await db.transaction(async (tx) => {
        await tx.query(
          `insert into public.wa_campaigns (phone_number_id, kind, name, max_concurrent,
             max_attempts, retry_on, created_at, updated_at)
           values ($1, 'callbacks', 'Callbacks', 1000, 1, '[]'::jsonb, $2::timestamptz,
             $2::timestamptz)
           on conflict (phone_number_id) where kind = 'callbacks' do nothing`,
          [input.phoneNumberId, now.toISOString()],
        );
        const inserted = await tx.query(
          `insert into public.wa_campaign_recipients
             (campaign_id, user_key, origin_call_id, origin_reason, next_attempt_at)
           select id, $2, $3, $4, $5::timestamptz from public.wa_campaigns
           where phone_number_id = $1 and kind = 'callbacks'
           on conflict (origin_call_id) where origin_call_id is not null do nothing
           returning id`,
          [input.phoneNumberId, input.user, input.originCallId, input.reason, now.toISOString()],
        );
        return inserted.length > 0;
      });
    },

    async listCallbackCandidates(since, limit = 200) {
      const rows = await db.query(
        `select c.call_id as "callId", c.phone_number_id as "phoneNumberId",
           c.from_number as "user",
           case when c.end_reason = 'outside_hours' then 'outside_hours' else 'missed' end
             as reason,
           c.ended_at as "endedAt"
         from public.voice_calls c
         where c.direction = 'user_initiated' and not c.test_call
           and c.status in ('rejected', 'completed', 'failed')
           and c.ended_at > $1::timestamptz
           and c.from_number is not null and c.phone_number_id is not null
           and (c.accepted_at is null or c.end_reason = 'outside_hours')
           and not exists (select 1 from public.wa_campaign_recipients r
                           where r.origin_call_id = c.call_id)
           -- One callback serves every missed call before it: no second ring for a retry.
           and not exists (
             select 1 from public.wa_campaign_recipients r
             join public.wa_campaigns k on k.id = r.campaign_id
             where k.kind = 'callbacks' and k.phone_number_id = c.phone_number_id
               and r.user_key = c.from_number
               and (r.status <> 'done' or r.updated_at >= c.ended_at))
         order by c.ended_at, c.call_id
         limit $2`,
        [since.toISOString(), Math.min(Math.max(limit, 1), 1000)],
      );
      return rows.map((r) => CandidateSchema.parse(r));
    },
  };
}
