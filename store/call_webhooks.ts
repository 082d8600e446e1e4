/**
 * The end-of-call webhook's outbox in `voice_call_webhooks`: messages are
 * written before any attempt, claimed by one deliverer at a time
 * (`FOR UPDATE SKIP LOCKED` plus a lease in `next_attempt_at`), and settled
 * per attempt. Delivery itself is `bridge/post_call/webhook_deliverer.ts`.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter } from "./adapter.ts";
import { jsonParam } from "./store.ts";

/** Where a message is: still to send, sent, given up after its schedule, or refused with 410. */
export type WebhookState = "pending" | "delivered" | "failed" | "gone";

const timestamp = z.coerce.date();

/** A row of `voice_call_webhooks`. */
export const outboxWebhookSchema = z.object({
  webhookId: z.string(),
  type: z.string(),
  callId: z.string(),
  payload: z.json(),
  state: z.enum(["pending", "delivered", "failed", "gone"]),
  attempts: z.coerce.number().int(),
  nextAttemptAt: timestamp,
  lastAttemptAt: timestamp.nullable(),
  deliveredAt: timestamp.nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
});

/** A webhook message as stored. */
export type OutboxWebhook = z.infer<typeof outboxWebhookSchema>;

/** Input of {@linkcode WebhookOutboxStore.enqueueWebhook}. */
export interface NewOutboxWebhook {
  webhookId: string;
  type: string;
  callId: string;
  payload: unknown;
  /** First attempt due at; now when absent. */
  at?: Date | undefined;
}

/** A message claimed for one attempt. */
export interface ClaimedWebhook {
  webhookId: string;
  type: string;
  callId: string;
  payload: unknown;
  /** This attempt's number, from 1. */
  attempt: number;
}

/** How an attempt ended. */
export interface WebhookSettlement {
  /** `pending` with `nextAttemptAt` to retry; the other states are final. */
  state: WebhookState;
  at: Date;
  nextAttemptAt?: Date | undefined;
  status: number | null;
  error: string | null;
}

/** The webhook outbox of a {@linkcode Store}. */
export interface WebhookOutboxStore {
  /** Adds a message; one of each type per call, so a repeat returns `inserted: false`. */
  enqueueWebhook(webhook: NewOutboxWebhook): Promise<{ inserted: boolean }>;
  /**
   * Claims up to `limit` pending messages due at `now`, counting an attempt
   * on each and holding it until `leaseUntil`; no other claimer gets them meanwhile.
   */
  claimWebhooks(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedWebhook[]>;
  /**
   * Records the outcome of `attempt`; false (nothing written) when the row has
   * moved on since (a later claim after the lease ran out, or already final).
   */
  settleWebhook(webhookId: string, attempt: number, outcome: WebhookSettlement): Promise<boolean>;
  /** The call's messages, oldest first. */
  listWebhooks(callId: string): Promise<OutboxWebhook[]>;
}

const SELECT = `webhook_id as "webhookId", type, call_id as "callId", payload, state, attempts,
  next_attempt_at as "nextAttemptAt", last_attempt_at as "lastAttemptAt",
  delivered_at as "deliveredAt", last_status as "lastStatus", last_error as "lastError",
  created_at as "createdAt"`;

const claimedSchema = z.object({
  webhookId: z.string(),
  type: z.string(),
  callId: z.string(),
  payload: z.json(),
  attempt: z.coerce.number().int(),
});

/** The outbox methods over `db`. */
export function webhookOutboxMethods(db: SqlAdapter): WebhookOutboxStore {
  return {
    async enqueueWebhook(webhook) {
      const rows = await db.query(
        `insert into public.voice_call_webhooks (webhook_id, type, call_id, payload, next_attempt_at)
         values ($1, $2, $3, $4::text::jsonb, coalesce($5::timestamptz, now()))
         on conflict do nothing
         returning webhook_id`,
        [
          webhook.webhookId,
          webhook.type,
          webhook.callId,
          jsonParam(webhook.payload),
          webhook.at?.toISOString() ?? null,
        ],
      );
      return { inserted: rows.length === 1 };
    },

    async claimWebhooks(now, leaseUntil, limit) {
      // One statement: the inner select locks the rows it picks and skips rows another
      // claimer holds; the update moves them past `now` before either commits.
      const rows = await db.query(
        `update public.voice_call_webhooks w
         set attempts = w.attempts + 1, next_attempt_at = $2::timestamptz
         where w.webhook_id in (
           select webhook_id from public.voice_call_webhooks
           where state = 'pending' and next_attempt_at <= $1::timestamptz
           order by next_attempt_at, created_at
           limit $3
           for update skip locked)
         returning w.webhook_id as "webhookId", w.type, w.call_id as "callId", w.payload,
           w.attempts as "attempt"`,
        [now.toISOString(), leaseUntil.toISOString(), limit],
      );
      return rows.map((row) => claimedSchema.parse(row));
    },

    async settleWebhook(webhookId, attempt, outcome) {
      const rows = await db.query(
        `update public.voice_call_webhooks
         set state = $3, next_attempt_at = coalesce($4::timestamptz, next_attempt_at),
           last_attempt_at = $5::timestamptz, last_status = $6, last_error = $7,
           delivered_at = case when $3 = 'delivered' then $5::timestamptz else delivered_at end
         where webhook_id = $1 and attempts = $2 and state = 'pending'
         returning webhook_id`,
        [
          webhookId,
          attempt,
          outcome.state,
          outcome.nextAttemptAt?.toISOString() ?? null,
          outcome.at.toISOString(),
          outcome.status,
          outcome.error === null ? null : outcome.error.slice(0, 500),
        ],
      );
      return rows.length === 1;
    },

    async listWebhooks(callId) {
      const rows = await db.query(
        `select ${SELECT} from public.voice_call_webhooks where call_id = $1
         order by created_at, webhook_id`,
        [callId],
      );
      return rows.map((row) => outboxWebhookSchema.parse(row));
    },
  };
}
