/**
 * Call records in PostgreSQL: the `voice_calls` row per WhatsApp call, its
 * event log (which also detects redelivered webhooks), its transcript, and
 * webhook receipts that could not be handled.
 *
 * One {@linkcode Store} runs over a PostgreSQL server or embedded PGlite; see
 * `open.ts` for which.
 *
 * ```ts
 * const store = await openStore(storeConfigFromEnv((name) => Deno.env.get(name)));
 * const { inserted } = await store.recordEvent({ callId, name: "connect", dedupeKey: `${callId}:connect` });
 * if (inserted) await store.upsertCall({ callId, direction: "user_initiated", offeredAt: new Date() });
 * ```
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlParam } from "./adapter.ts";
import { usageMethods, type UsageStore } from "./usage.ts";
import { staleCallMethods, type StaleCallStore } from "./stale_calls.ts";
import { analysisMethods, type AnalysisStore } from "./analysis.ts";
import { recordingMethods, type RecordingRowStore } from "./recordings.ts";
import { figuresMethods, type FiguresStore } from "./figures.ts";
import { webhookOutboxMethods, type WebhookOutboxStore } from "./call_webhooks.ts";
import { liveMethods, type LiveStore } from "./live.ts";
import { postCallBacklogMethods, type PostCallBacklogStore } from "./post_call_backlog.ts";
import { callHistoryMethods, type CallHistoryStore } from "./call_history.ts";
import { talkNumberMethods, type TalkNumberStore } from "./talk_numbers.ts";
import { agentSettingsMethods, type AgentSettingsStore } from "./agent_settings.ts";
import { callAnalyticsMethods, type CallAnalyticsStore } from "./call_analytics.ts";
import { auditLogMethods, type AuditLogStore } from "./audit_log.ts";
import { callPermissionMethods, type CallPermissionStore } from "./call_permissions.ts";
import { outboundCallMethods, type OutboundCallStore } from "./outbound_calls.ts";
import { campaignMethods, type CampaignStore } from "./campaigns.ts";
import { callbackMethods, type CallbackStore } from "./callbacks.ts";

/** Every status a call can have; the database checks the same list. */
export const CALL_STATUSES = [
  "offered",
  "ringing",
  "pre_accepted",
  "accepted",
  "active",
  "rejected",
  "completed",
  "failed",
] as const;

/**
 * Where a call is in its life: `offered` (connect webhook received) or
 * `ringing` (business-initiated) → `pre_accepted` → `accepted` (Meta's accept
 * returned 200) → `active` (media flowing) → `completed`; `rejected` and
 * `failed` end a call that did not complete normally.
 */
export type CallStatus = typeof CALL_STATUSES[number];

/** Statuses after which a call never changes status again. */
export const TERMINAL_CALL_STATUSES: readonly CallStatus[] = ["rejected", "completed", "failed"];

/** Statuses of a call that has not ended. */
export const LIVE_CALL_STATUSES: readonly CallStatus[] = CALL_STATUSES.filter(
  (s) => !TERMINAL_CALL_STATUSES.includes(s),
);

/** Who placed the call, in Meta's terms (lower-cased). */
export type CallDirection = "user_initiated" | "business_initiated";

/** Who spoke a transcript line. */
export type Speaker = "caller" | "agent";

const timestamp = z.coerce.date();
const id = z.coerce.number().int(); // bigserial: postgres.js returns it as a string

/** A row of `voice_calls` as the store returns it. */
export const callRecordSchema = z.object({
  callId: z.string(),
  direction: z.enum(["user_initiated", "business_initiated"]).nullable(),
  /** Meta's `from`: the caller for user-initiated calls. */
  fromNumber: z.string().nullable(),
  /** Meta's `to`: the business for user-initiated calls. */
  toNumber: z.string().nullable(),
  phoneNumberId: z.string().nullable(),
  status: z.enum(CALL_STATUSES),
  offeredAt: timestamp.nullable(),
  preAcceptedAt: timestamp.nullable(),
  acceptedAt: timestamp.nullable(),
  endedAt: timestamp.nullable(),
  durationSeconds: z.number().int().nullable(),
  endReason: z.string().nullable(),
  metaErrorCode: z.number().int().nullable(),
  bridgeSessionId: z.string().nullable(),
  /** Meta's `from_user_id`: the caller's BSUID on user-initiated calls (the number may be absent). */
  fromUserId: z.string().nullable(),
  /** Meta's `to_user_id`: the callee's BSUID on business-initiated calls. */
  toUserId: z.string().nullable(),
  /** The WhatsApp user's username and profile name, from `contacts[]`. */
  username: z.string().nullable(),
  profileName: z.string().nullable(),
  /** Where the caller came from: call button, `wa.me/call` link, our opaque data. */
  ctaPayload: z.string().nullable(),
  deeplinkPayload: z.string().nullable(),
  bizOpaqueCallbackData: z.string().nullable(),
  /** The terminate's `status` as Meta sent it, and every error code it carried. */
  metaStatus: z.string().nullable(),
  metaErrorCodes: z.array(z.number().int()).nullable(),
  /** Placed from the console's "Talk to your agent" page: no WhatsApp user, no Meta. */
  testCall: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** A call as stored. */
export type CallRecord = z.infer<typeof callRecordSchema>;

/**
 * Writable call fields other than the status. `undefined` (or absent) leaves a
 * column as it is; `null` clears it.
 */
export type CallFields = {
  [K in keyof Omit<CallRecord, "callId" | "status" | "createdAt" | "updatedAt">]?:
    | CallRecord[K]
    | undefined;
};

/** Input of {@linkcode Store.upsertCall}. */
export type CallUpsert = CallFields & { callId: string; status?: CallStatus | undefined };

/** A row of `voice_call_events`. */
export const callEventSchema = z.object({
  id,
  callId: z.string(),
  name: z.string(),
  occurredAt: timestamp,
  data: z.json(),
  dedupeKey: z.string().nullable(),
  createdAt: timestamp,
});

/** A logged call event. */
export type CallEvent = z.infer<typeof callEventSchema>;

/**
 * Input of {@linkcode Store.recordEvent}. Each writer narrows `Name` to its
 * own event names (see {@linkcode CallEventStore}).
 */
export interface NewCallEvent<Name extends string = string> {
  callId: string;
  /** e.g. `connect`, `terminate`, `accept_sent`. */
  name: Name;
  /** Any JSON-serializable value; `{}` when absent. */
  data?: unknown;
  /** Events sharing a key are recorded once, e.g. `${callId}:${event}` for Meta webhooks. */
  dedupeKey?: string | undefined;
  /** When it happened (e.g. the webhook's `timestamp`); now when absent. */
  occurredAt?: Date | undefined;
}

/** A row of `voice_call_transcripts`. */
export const transcriptSchema = z.object({
  id,
  callId: z.string(),
  speaker: z.enum(["caller", "agent"]),
  text: z.string(),
  startedAt: timestamp,
  endedAt: timestamp,
  interrupted: z.boolean(),
  createdAt: timestamp,
});

/** One line of a call's transcript. */
export type Transcript = z.infer<typeof transcriptSchema>;

/** Input of {@linkcode Store.addTranscript}. */
export interface NewTranscript {
  callId: string;
  speaker: Speaker;
  text: string;
  startedAt: Date;
  endedAt: Date;
  /** True when the caller barged in and the agent's line was cut short. */
  interrupted?: boolean | undefined;
  /** The writer's id for the line: a line whose id is already stored is not added again. */
  lineId?: string | undefined;
}

/** A row of `wa_webhook_receipts`. */
export const webhookReceiptSchema = z.object({
  id,
  receivedAt: timestamp,
  field: z.string().nullable(),
  reason: z.string(),
  payload: z.json().nullable(),
  raw: z.string().nullable(),
});

/** A webhook body kept because it could not be handled. */
export type WebhookReceipt = z.infer<typeof webhookReceiptSchema>;

/** Input of {@linkcode Store.recordReceipt}: at least one of `payload` and `raw`. */
export type NewWebhookReceipt =
  & {
    /** Why it was not handled, e.g. `invalid_json`, `unknown_field`. */
    reason: string;
    /** The webhook `field` when known, e.g. `calls`. */
    field?: string | undefined;
    receivedAt?: Date | undefined;
  }
  & (
    | { payload: unknown; raw?: string | undefined }
    | { payload?: undefined; raw: string }
  );

/** Outcome of {@linkcode Store.transitionCall}. */
export interface TransitionResult {
  /** True when the status changed (the row existed and its status was allowed). */
  applied: boolean;
  /** The call after the attempt; `null` when there is no such call. */
  call: CallRecord | null;
}

/**
 * A {@linkcode Store} seen by a writer whose events are named by the union
 * `Name`: recording a misspelt name fails type check.
 */
export type CallEventStore<Name extends string> = Omit<Store, "recordEvent"> & {
  recordEvent(event: NewCallEvent<Name>): Promise<{ inserted: boolean }>;
};

/** Call records, whichever database holds them (usage: `usage.ts`, stale calls: `stale_calls.ts`). */
export interface Store
  extends
    UsageStore,
    StaleCallStore,
    AnalysisStore,
    RecordingRowStore,
    FiguresStore,
    WebhookOutboxStore,
    LiveStore,
    PostCallBacklogStore,
    CallHistoryStore,
    AgentSettingsStore,
    CallAnalyticsStore,
    AuditLogStore,
    CallPermissionStore,
    OutboundCallStore,
    CampaignStore,
    CallbackStore,
    TalkNumberStore {
  /** `postgres` for a server, `pglite` for the embedded database. */
  readonly backend: "postgres" | "pglite";
  /**
   * Logs an event. With a `dedupeKey` already recorded nothing is written and
   * `inserted` is false; this is atomic, so concurrent duplicates insert once.
   */
  recordEvent(event: NewCallEvent): Promise<{ inserted: boolean }>;
  /** Creates the call or updates only the fields given (status `offered` when new and absent). */
  upsertCall(call: CallUpsert): Promise<CallRecord>;
  /**
   * Sets the status (and `fields`) only if the call exists and, when `from` is
   * given, its current status is one of `from`, in one atomic statement.
   */
  transitionCall(
    callId: string,
    to: CallStatus,
    fields?: CallFields,
    options?: {
      from?: readonly CallStatus[] | undefined;
      /** Fields written only where the call has none yet (another writer's word stands). */
      keep?: readonly (keyof CallFields)[] | undefined;
    },
  ): Promise<TransitionResult>;
  /** The call, or `null`. */
  getCall(callId: string): Promise<CallRecord | null>;
  /** The call's events, oldest first. */
  listEvents(callId: string): Promise<CallEvent[]>;
  /** Appends a transcript line; the call must exist. */
  addTranscript(line: NewTranscript): Promise<Transcript>;
  /** The call's transcript in speaking order. */
  listTranscripts(callId: string): Promise<Transcript[]>;
  /** Keeps a webhook body that could not be handled, with the reason. */
  recordReceipt(receipt: NewWebhookReceipt): Promise<{ id: number }>;
  /** The most recent receipts, newest first. */
  listReceipts(limit?: number): Promise<WebhookReceipt[]>;
  /** Closes the database connections. */
  close(): Promise<void>;
}

type Cast = "text" | "int" | "timestamptz" | "int[]" | "boolean";

const CALL_COLUMNS: { [K in keyof Required<CallFields>]: readonly [string, Cast] } = {
  direction: ["direction", "text"],
  fromNumber: ["from_number", "text"],
  toNumber: ["to_number", "text"],
  phoneNumberId: ["phone_number_id", "text"],
  offeredAt: ["offered_at", "timestamptz"],
  preAcceptedAt: ["pre_accepted_at", "timestamptz"],
  acceptedAt: ["accepted_at", "timestamptz"],
  endedAt: ["ended_at", "timestamptz"],
  durationSeconds: ["duration_seconds", "int"],
  endReason: ["end_reason", "text"],
  metaErrorCode: ["meta_error_code", "int"],
  bridgeSessionId: ["bridge_session_id", "text"],
  fromUserId: ["from_user_id", "text"],
  toUserId: ["to_user_id", "text"],
  username: ["username", "text"],
  profileName: ["profile_name", "text"],
  ctaPayload: ["cta_payload", "text"],
  deeplinkPayload: ["deeplink_payload", "text"],
  bizOpaqueCallbackData: ["biz_opaque_callback_data", "text"],
  metaStatus: ["meta_status", "text"],
  metaErrorCodes: ["meta_error_codes", "int[]"],
  testCall: ["test_call", "boolean"],
};

/** The select list of a {@linkcode CallRecord} from `public.voice_calls`. */
export const CALL_SELECT = `call_id as "callId", direction, from_number as "fromNumber",
  to_number as "toNumber", phone_number_id as "phoneNumberId", status,
  offered_at as "offeredAt", pre_accepted_at as "preAcceptedAt", accepted_at as "acceptedAt",
  ended_at as "endedAt", duration_seconds as "durationSeconds", end_reason as "endReason",
  meta_error_code as "metaErrorCode", bridge_session_id as "bridgeSessionId",
  from_user_id as "fromUserId", to_user_id as "toUserId", username, profile_name as "profileName",
  cta_payload as "ctaPayload", deeplink_payload as "deeplinkPayload",
  biz_opaque_callback_data as "bizOpaqueCallbackData", meta_status as "metaStatus",
  meta_error_codes as "metaErrorCodes", test_call as "testCall",
  created_at as "createdAt", updated_at as "updatedAt"`;

const EVENT_SELECT = `id, call_id as "callId", name, occurred_at as "occurredAt", data,
  dedupe_key as "dedupeKey", created_at as "createdAt"`;

const TRANSCRIPT_SELECT = `id, call_id as "callId", speaker, text, started_at as "startedAt",
  ended_at as "endedAt", interrupted, created_at as "createdAt"`;

const RECEIPT_SELECT = `id, received_at as "receivedAt", field, reason, payload, raw`;

/**
 * A parameter; text loses NULs and lone UTF-16 surrogates (U+FFFD instead),
 * which PostgreSQL cannot store (see {@linkcode jsonParam}).
 */
function param(value: string | number | boolean | Date | readonly number[] | null): SqlParam {
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return value.replaceAll("\0", "\ufffd").toWellFormed();
  if (value instanceof Date) return value.toISOString();
  // An array literal, cast `::int[]` in the query; only integer arrays are stored.
  return `{${value.map((n) => Math.trunc(n)).join(",")}}`;
}

/**
 * JSON text for a jsonb parameter, cast in SQL as `$n::text::jsonb` (typed
 * `$n::jsonb`, postgres.js would encode the text as a JSON string again).
 * PostgreSQL rejects NUL in text and jsonb, and a lone surrogate escape
 * (`\ud800`, which JSON.stringify writes for one) in jsonb; webhook bodies
 * are untrusted, so both become U+FFFD instead of failing the insert. Paired
 * surrogates are written as characters, so every surrogate escape is lone.
 */
export function jsonParam(value: unknown): string | null {
  const text = JSON.stringify(value);
  if (text === undefined) return null;
  return text.replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, "$1\\ufffd");
}

/**
 * `set` assignments for the defined fields, numbering parameters after
 * `params`; a field in `keep` is written only where the row has none yet.
 */
function assignments(
  fields: CallFields,
  params: SqlParam[],
  keep: readonly (keyof CallFields)[] = [],
): [column: string, value: string][] {
  const out: [string, string][] = [];
  for (const key of Object.keys(CALL_COLUMNS) as (keyof CallFields)[]) {
    const value = fields[key];
    if (value === undefined) continue;
    const [column, cast] = CALL_COLUMNS[key];
    params.push(param(value));
    const given = `$${params.length}::${cast}`;
    out.push([column, keep.includes(key) ? `coalesce(${column}, ${given})` : given]);
  }
  return out;
}

function parseAll<T>(schema: z.ZodType<T>, rows: readonly unknown[]): T[] {
  return rows.map((row) => schema.parse(row));
}

/** A {@linkcode Store} over an open adapter; closing the store closes it. */
export function createStore(db: SqlAdapter, backend: Store["backend"]): Store {
  const getCall = async (callId: string): Promise<CallRecord | null> => {
    const rows = await db.query(
      `select ${CALL_SELECT} from public.voice_calls where call_id = $1`,
      [param(callId)],
    );
    return rows[0] === undefined ? null : callRecordSchema.parse(rows[0]);
  };

  return {
    backend,

    async recordEvent(event) {
      const rows = await db.query(
        `insert into public.voice_call_events (call_id, name, data, dedupe_key, occurred_at)
         values ($1, $2, coalesce($3::text::jsonb, '{}'::jsonb), $4, coalesce($5::timestamptz, now()))
         on conflict (dedupe_key) do nothing
         returning id`,
        [
          param(event.callId),
          param(event.name),
          jsonParam(event.data),
          param(event.dedupeKey ?? null),
          param(event.occurredAt ?? null),
        ],
      );
      return { inserted: rows.length === 1 };
    },

    async upsertCall(call) {
      const { callId, status, ...fields } = call;
      const params: SqlParam[] = [param(callId)];
      const set = assignments(fields, params);
      if (status !== undefined) {
        params.push(status);
        set.push(["status", `$${params.length}`]);
      }
      const columns = ["call_id", ...set.map(([c]) => c)].join(", ");
      const values = ["$1", ...set.map(([, v]) => v)].join(", ");
      // With nothing to change the no-op assignment still returns the row.
      const updates = set.length === 0
        ? "call_id = excluded.call_id"
        : set.map(([c]) => `${c} = excluded.${c}`).join(", ");
      const rows = await db.query(
        `insert into public.voice_calls (${columns}) values (${values})
         on conflict (call_id) do update set ${updates}
         returning ${CALL_SELECT}`,
        params,
      );
      return callRecordSchema.parse(rows[0]);
    },

    async transitionCall(callId, to, fields = {}, options = {}) {
      const from = options.from;
      if (from !== undefined && from.length === 0) {
        return { applied: false, call: await getCall(callId) };
      }
      const params: SqlParam[] = [param(callId), to];
      const set = assignments(fields, params, options.keep).map(([c, v]) => `, ${c} = ${v}`)
        .join("");
      let where = "call_id = $1";
      if (from !== undefined) {
        const first = params.length + 1;
        params.push(...from);
        where += ` and status in (${from.map((_, i) => `$${first + i}`).join(", ")})`;
      }
      // One UPDATE: a concurrent writer's row lock makes this re-check `status`
      // after it commits, so two racing transitions cannot both apply.
      const rows = await db.query(
        `update public.voice_calls set status = $2${set} where ${where} returning ${CALL_SELECT}`,
        params,
      );
      if (rows[0] !== undefined) return { applied: true, call: callRecordSchema.parse(rows[0]) };
      return { applied: false, call: await getCall(callId) };
    },

    getCall,

    async listEvents(callId) {
      const rows = await db.query(
        `select ${EVENT_SELECT} from public.voice_call_events
         where call_id = $1 order by occurred_at, id`,
        [param(callId)],
      );
      return parseAll(callEventSchema, rows);
    },

    async addTranscript(line) {
      const lineId = param(line.lineId ?? null);
      const rows = await db.query(
        `insert into public.voice_call_transcripts
           (call_id, speaker, text, started_at, ended_at, interrupted, line_id)
         values ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7)
         on conflict (line_id) do nothing
         returning ${TRANSCRIPT_SELECT}`,
        [
          param(line.callId),
          line.speaker,
          param(line.text),
          param(line.startedAt),
          param(line.endedAt),
          line.interrupted ?? false,
          lineId,
        ],
      );
      // A line already stored under its id (a replay) is returned as it is.
      const row = rows[0] ?? (await db.query(
        `select ${TRANSCRIPT_SELECT} from public.voice_call_transcripts where line_id = $1`,
        [lineId],
      ))[0];
      return transcriptSchema.parse(row);
    },

    async listTranscripts(callId) {
      const rows = await db.query(
        `select ${TRANSCRIPT_SELECT} from public.voice_call_transcripts
         where call_id = $1 order by started_at, id`,
        [param(callId)],
      );
      return parseAll(transcriptSchema, rows);
    },

    async recordReceipt(receipt) {
      const rows = await db.query<{ id: unknown }>(
        `insert into public.wa_webhook_receipts (field, reason, payload, raw, received_at)
         values ($1, $2, $3::text::jsonb, $4, coalesce($5::timestamptz, now()))
         returning id`,
        [
          param(receipt.field ?? null),
          param(receipt.reason),
          jsonParam(receipt.payload),
          param(receipt.raw ?? null),
          param(receipt.receivedAt ?? null),
        ],
      );
      return { id: id.parse(rows[0]?.id) };
    },

    async listReceipts(limit = 100) {
      const rows = await db.query(
        `select ${RECEIPT_SELECT} from public.wa_webhook_receipts
         order by received_at desc, id desc limit $1`,
        [limit],
      );
      return parseAll(webhookReceiptSchema, rows);
    },

    ...usageMethods(db),
    ...staleCallMethods(db),
    ...analysisMethods(db),
    ...recordingMethods(db),
    ...figuresMethods(db),
    ...webhookOutboxMethods(db),
    ...liveMethods(db),
    ...postCallBacklogMethods(db),
    ...callHistoryMethods(db),
    ...talkNumberMethods(db),
    ...agentSettingsMethods(db),
    ...callAnalyticsMethods(db),
    ...auditLogMethods(db),
    ...callPermissionMethods(db),
    ...outboundCallMethods(db),
    ...campaignMethods(db),
    ...callbackMethods(db),

    close: () => db.close(),
  };
}
