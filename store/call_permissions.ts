/**
 * Call permissions per business number + WhatsApp user in
 * `wa_call_permissions`, and the events Meta's limits count in
 * `wa_call_permission_events` (requests, replies, business-initiated call
 * outcomes). The limits themselves are decided by the pure
 * `lib/whatsapp/call_permission_decision.ts`; this module supplies its state
 * and makes "check the limits, then reserve a request" one transaction, so
 * two concurrent API calls can never both send.
 *
 * @module
 */
import { z } from "zod";
import { jsonColumn } from "./json_column.ts";
import type { SqlAdapter, SqlExecutor, SqlParam } from "./adapter.ts";
import {
  DAY_WINDOW_MS,
  type GraphPermissionView,
  type PermissionDecision,
  type PermissionState,
  type PermissionStatus,
  userKeyKind,
  WEEK_WINDOW_MS,
} from "../lib/whatsapp/call_permissions.ts";

/** The business number + user pair. `user` is a wa_id or a BSUID. */
export interface PermissionPair {
  phoneNumberId: string;
  user: string;
}

/** The pair's permission row plus the counted events, as the decision needs them. */
export interface StoredPermission extends PermissionState {
  source?: string | undefined;
  /** Unix ms of the fact behind `status`. */
  statusAt?: number | undefined;
  /** Unix ms of the last Graph read. */
  graphSyncedAt?: number | undefined;
}

/** A reserved or finished permission request. */
export interface PermissionRequestRecord extends PermissionPair {
  id: number;
  idempotencyKey: string | null;
  requestHash: string | null;
  requestStatus: "pending" | "sent" | "failed" | "unknown";
  messageId: string | null;
  /** The API answer, replayed to a retry with the same key. */
  response: unknown;
  occurredAt: Date;
}

/** Outcome of {@linkcode CallPermissionStore.reservePermissionRequest}. */
export type ReserveResult =
  | { kind: "reserved"; request: PermissionRequestRecord }
  | { kind: "existing"; request: PermissionRequestRecord }
  | { kind: "refused"; decision: Extract<PermissionDecision, { allowed: false }> };

/** A reply's effect, as applied. */
export interface PermissionReplyInput extends PermissionPair {
  messageId: string;
  contextId?: string | undefined;
  status: PermissionStatus;
  expiresAt?: number | undefined;
  source: string;
  /** Unix ms of the reply. */
  at: number;
  scenario: string;
}

/** A business-initiated call outcome that Meta's limits count. */
export type PermissionCallOutcome = "placed" | "connected" | "unanswered";

/** One row of `wa_call_permission_events`, newest first in listings. */
export interface PermissionEventRecord {
  id: number;
  kind: "request" | "reply" | "call_placed" | "call_connected" | "call_unanswered";
  occurredAt: Date;
  requestStatus: string | null;
  messageId: string | null;
  contextId: string | null;
  callId: string | null;
  details: unknown;
}

/** Call permission records of a {@linkcode Store}. */
export interface CallPermissionStore {
  /** The pair's state at `now` (Unix ms): status, expiry, requests and calls in their windows. */
  readCallPermission(pair: PermissionPair, now: number): Promise<StoredPermission>;
  /**
   * In one transaction: a request already made with `idempotencyKey` is
   * returned as is; else `decide` judges the state, and an allowed request is
   * reserved (`pending`, counted) before Graph is called.
   */
  reservePermissionRequest(
    input: PermissionPair & {
      idempotencyKey: string;
      requestHash: string;
      now: number;
      decide: (state: PermissionState) => PermissionDecision;
    },
  ): Promise<ReserveResult>;
  /** Records Graph's answer to a reserved request and the API answer to replay. */
  completePermissionRequest(
    id: number,
    outcome: { status: "sent" | "failed" | "unknown"; messageId?: string; response: unknown },
  ): Promise<void>;
  /** Applies a reply once per message id; an older reply never overwrites a newer state. */
  applyPermissionReply(reply: PermissionReplyInput): Promise<{ applied: boolean }>;
  /** Counts a call outcome once per call id. */
  recordPermissionCall(
    input: PermissionPair & { callId: string; outcome: PermissionCallOutcome; at: number },
  ): Promise<{ inserted: boolean }>;
  /** The pair's events (requests, replies, call outcomes), newest first. */
  listCallPermissionEvents(pair: PermissionPair, limit?: number): Promise<PermissionEventRecord[]>;
  /**
   * The user wrote at `at` (Unix ms): keeps the latest such time, which opens
   * the customer service window. Idempotent; an older message never rewinds it.
   */
  recordUserMessage(input: PermissionPair & { at: number }): Promise<void>;
  /** Keeps what Graph's `GET call_permissions` said (status, expiry, connected-call limit). */
  syncPermissionFromGraph(
    pair: PermissionPair,
    view: GraphPermissionView,
    at: number,
  ): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const msOrUndefined = z.coerce.date().nullable().transform((d) => d?.getTime());

const RowSchema = z.object({
  status: z.enum(["no_permission", "temporary", "permanent", "revoked", "declined"]),
  expiresAt: msOrUndefined,
  source: z.string().nullable().transform((s) => s ?? undefined),
  statusAt: msOrUndefined,
  connectedCallLimit: z.coerce.number().int().nullable().transform((n) => n ?? undefined),
  callLimitResetAt: msOrUndefined,
  graphSyncedAt: msOrUndefined,
  lastUserMessageAt: msOrUndefined,
});

const RequestSchema = z.object({
  id: z.coerce.number().int(),
  phoneNumberId: z.string(),
  user: z.string(),
  idempotencyKey: z.string().nullable(),
  requestHash: z.string().nullable(),
  requestStatus: z.enum(["pending", "sent", "failed", "unknown"]),
  messageId: z.string().nullable(),
  response: jsonColumn,
  occurredAt: z.coerce.date(),
});

const REQUEST_SELECT = `id, phone_number_id as "phoneNumberId", user_key as "user",
  idempotency_key as "idempotencyKey", request_hash as "requestHash",
  request_status as "requestStatus", message_id as "messageId", response,
  occurred_at as "occurredAt"`;

const EventSchema = z.object({
  id: z.coerce.number().int(),
  kind: z.enum(["request", "reply", "call_placed", "call_connected", "call_unanswered"]),
  occurredAt: z.coerce.date(),
  requestStatus: z.string().nullable(),
  messageId: z.string().nullable(),
  contextId: z.string().nullable(),
  callId: z.string().nullable(),
  details: jsonColumn,
});

const TimesSchema = z.object({ at: z.coerce.date() });

/** Ensures the pair's row exists (status `no_permission`). */
async function ensureRow(db: SqlExecutor, pair: PermissionPair): Promise<void> {
  await db.query(
    `insert into public.wa_call_permissions (phone_number_id, user_key, user_kind)
     values ($1, $2, $3) on conflict (phone_number_id, user_key) do nothing`,
    [pair.phoneNumberId, pair.user, userKeyKind(pair.user)],
  );
}

async function times(db: SqlExecutor, sql: string, params: SqlParam[]): Promise<number[]> {
  const rows = await db.query(sql, params);
  return rows.map((r) => TimesSchema.parse(r).at.getTime());
}

/** Reads the pair's state on `db` (a transaction when locking). */
async function readState(
  db: SqlExecutor,
  pair: PermissionPair,
  now: number,
  lock = false,
): Promise<StoredPermission> {
  const p = [pair.phoneNumberId, pair.user];
  const rows = await db.query(
    `select status, expires_at as "expiresAt", source, status_at as "statusAt",
       connected_call_limit as "connectedCallLimit", call_limit_reset_at as "callLimitResetAt",
       graph_synced_at as "graphSyncedAt", last_user_message_at as "lastUserMessageAt"
     from public.wa_call_permissions where phone_number_id = $1 and user_key = $2
     ${lock ? "for update" : ""}`,
    p,
  );
  const row = rows[0] === undefined
    ? { status: "no_permission" as const }
    : RowSchema.parse(rows[0]);
  const events =
    `from public.wa_call_permission_events where phone_number_id = $1 and user_key = $2`;
  const requestTimes = await times(
    db,
    `select occurred_at as at ${events} and kind = 'request'
       and request_status <> 'failed' and occurred_at > $3::timestamptz`,
    [...p, iso(now - WEEK_WINDOW_MS)],
  );
  const connectedCallTimes = await times(
    db,
    `select occurred_at as at ${events} and kind = 'call_connected' and occurred_at > $3::timestamptz`,
    [...p, iso(now - DAY_WINDOW_MS)],
  );
  // Any connected call resets the request limits (P), user-initiated ones included.
  const last = await times(
    db,
    `select max(at) as at from (
       select max(occurred_at) as at ${events} and kind = 'call_connected'
       union all
       select max(accepted_at) from public.voice_calls
        where phone_number_id = $1 and accepted_at is not null
          and $2 in (from_number, to_number, from_user_id, to_user_id)
     ) t having max(at) is not null`,
    p,
  );
  const streak = await db.query<{ n: unknown }>(
    `select count(*) as n ${events} and kind = 'call_unanswered' and occurred_at > coalesce((
       select max(occurred_at) ${events}
         and (kind = 'call_connected'
           or (kind = 'reply' and details->>'status' in ('temporary', 'permanent')))
     ), '-infinity'::timestamptz)`,
    p,
  );
  return {
    ...row,
    requestTimes,
    connectedCallTimes,
    lastConnectedCallAt: last[0],
    unansweredStreak: z.coerce.number().parse(streak[0]?.n ?? 0),
  };
}

async function findRequest(
  db: SqlExecutor,
  phoneNumberId: string,
  key: string,
): Promise<PermissionRequestRecord | null> {
  const rows = await db.query(
    `select ${REQUEST_SELECT} from public.wa_call_permission_events
     where phone_number_id = $1 and idempotency_key = $2`,
    [phoneNumberId, key],
  );
  return rows[0] === undefined ? null : RequestSchema.parse(rows[0]);
}

/** The call permission methods over `db`. */
export function callPermissionMethods(db: SqlAdapter): CallPermissionStore {
  return {
    readCallPermission: (pair, now) => readState(db, pair, now),

    reservePermissionRequest(input) {
      return db.transaction(async (tx): Promise<ReserveResult> => {
        await ensureRow(tx, input);
        // The row lock serialises requests to one pair across bridges and functions.
        const state = await readState(tx, input, input.now, true);
        const existing = await findRequest(tx, input.phoneNumberId, input.idempotencyKey);
        if (existing !== null) return { kind: "existing", request: existing };
        const decision = input.decide(state);
        if (!decision.allowed) return { kind: "refused", decision };
        const rows = await tx.query(
          `insert into public.wa_call_permission_events
             (phone_number_id, user_key, kind, occurred_at, request_status, idempotency_key,
              request_hash)
           values ($1, $2, 'request', $3::timestamptz, 'pending', $4, $5)
           returning ${REQUEST_SELECT}`,
          [
            input.phoneNumberId,
            input.user,
            iso(input.now),
            input.idempotencyKey,
            input.requestHash,
          ],
        );
        return { kind: "reserved", request: RequestSchema.parse(rows[0]) };
      });
    },

    async completePermissionRequest(id, outcome) {
      await db.query(
        `update public.wa_call_permission_events
         set request_status = $2, message_id = coalesce($3, message_id),
             response = $4::text::jsonb
         where id = $1 and kind = 'request'`,
        [id, outcome.status, outcome.messageId ?? null, JSON.stringify(outcome.response ?? null)],
      );
    },

    applyPermissionReply(reply) {
      return db.transaction(async (tx) => {
        const inserted = await tx.query(
          `insert into public.wa_call_permission_events
             (phone_number_id, user_key, kind, occurred_at, message_id, context_id, details)
           values ($1, $2, 'reply', $3::timestamptz, $4, $5, $6::text::jsonb)
           on conflict (message_id) where kind = 'reply' do nothing
           returning id`,
          [
            reply.phoneNumberId,
            reply.user,
            iso(reply.at),
            reply.messageId,
            reply.contextId ?? null,
            JSON.stringify({
              status: reply.status,
              scenario: reply.scenario,
              source: reply.source,
              ...(reply.expiresAt === undefined ? {} : { expiresAt: iso(reply.expiresAt) }),
            }),
          ],
        );
        if (inserted.length === 0) return { applied: false };
        await ensureRow(tx, reply);
        await tx.query(
          `update public.wa_call_permissions
           set status = $3, expires_at = $4::timestamptz, source = $5,
               status_at = $6::timestamptz, updated_at = now()
           where phone_number_id = $1 and user_key = $2
             and (status_at is null or status_at <= $6::timestamptz)`,
          [
            reply.phoneNumberId,
            reply.user,
            reply.status,
            reply.expiresAt === undefined ? null : iso(reply.expiresAt),
            reply.source,
            iso(reply.at),
          ],
        );
        return { applied: true };
      });
    },

    async recordPermissionCall(input) {
      const rows = await db.query(
        `insert into public.wa_call_permission_events
           (phone_number_id, user_key, kind, occurred_at, call_id)
         values ($1, $2, $3, $4::timestamptz, $5)
         on conflict (call_id, kind) where call_id is not null do nothing
         returning id`,
        [input.phoneNumberId, input.user, `call_${input.outcome}`, iso(input.at), input.callId],
      );
      return { inserted: rows.length > 0 };
    },

    async listCallPermissionEvents(pair, limit = 100) {
      const rows = await db.query(
        `select id, kind, occurred_at as "occurredAt", request_status as "requestStatus",
           message_id as "messageId", context_id as "contextId", call_id as "callId", details
         from public.wa_call_permission_events
         where phone_number_id = $1 and user_key = $2
         order by occurred_at desc, id desc limit $3`,
        [pair.phoneNumberId, pair.user, limit],
      );
      return rows.map((r) => EventSchema.parse(r));
    },

    async recordUserMessage(input) {
      await db.query(
        `insert into public.wa_call_permissions
           (phone_number_id, user_key, user_kind, last_user_message_at)
         values ($1, $2, $3, $4::timestamptz)
         on conflict (phone_number_id, user_key) do update
         set last_user_message_at = greatest(
           wa_call_permissions.last_user_message_at, excluded.last_user_message_at)
         where wa_call_permissions.last_user_message_at is null
            or wa_call_permissions.last_user_message_at < excluded.last_user_message_at`,
        [input.phoneNumberId, input.user, userKeyKind(input.user), iso(input.at)],
      );
    },

    async syncPermissionFromGraph(pair, view, at) {
      await ensureRow(db, pair);
      await db.query(
        `update public.wa_call_permissions
         set status = case
               -- Graph knows no "declined"/"revoked": its no_permission leaves ours precise.
               when $3::text = 'no_permission' and status in ('declined', 'revoked') then status
               else $3::text end,
             expires_at = $4::timestamptz, source = 'graph',
             connected_call_limit = coalesce($5, connected_call_limit),
             call_limit_reset_at = $6::timestamptz, graph_synced_at = $7::timestamptz,
             status_at = greatest(status_at, $7::timestamptz), updated_at = now()
         where phone_number_id = $1 and user_key = $2`,
        [
          pair.phoneNumberId,
          pair.user,
          view.status,
          view.expiresAt === undefined ? null : iso(view.expiresAt),
          view.connectedCallLimit ?? null,
          view.callLimitResetAt === undefined ? null : iso(view.callLimitResetAt),
          iso(at),
        ],
      );
    },
  };
}
