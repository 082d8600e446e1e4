/**
 * The console's call history: calls newest first, filtered by date, number,
 * direction, status, outcome and words of the transcript, a page at a time
 * by keyset (the last row's `(created_at, call_id)`), so a page costs the
 * same at the start and 100,000 calls in, and calls arriving meanwhile never
 * shift a page. Indexes: migration `20261209000200_call_history_search.sql`.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlParam } from "./adapter.ts";
import { skipScanCte } from "./skip_scan.ts";
import { CALL_STATUSES, type CallDirection, type CallStatus } from "./store.ts";

/** Which calls to list; every field narrows, absent ones do not. */
export interface CallHistoryFilter {
  /** Created at or after. */
  since?: Date | undefined;
  /** Created before. */
  until?: Date | undefined;
  /** Digits: the caller's number (`from`/`to`) or the business's `phone_number_id`. */
  number?: string | undefined;
  /** `business`: `number` matches `phone_number_id` only (viewers do not look up callers). */
  numberScope?: "any" | "business" | undefined;
  direction?: CallDirection | undefined;
  status?: CallStatus | undefined;
  /** The analysis's outcome, exactly. */
  outcome?: string | undefined;
  /**
   * Words the call's transcript holds, in any of its lines (web-search
   * syntax: `"a phrase"`, `-not`), as whole words, any case, no stemming.
   */
  text?: string | undefined;
  /**
   * Test calls ("Talk to your agent"): listed with the rest (`include`, the
   * default), left out (`exclude`), or alone (`only`).
   */
  testCalls?: TestCallChoice | undefined;
}

/** What a filter does with test calls. */
export const TEST_CALL_CHOICES = ["include", "exclude", "only"] as const;

/** One of {@linkcode TEST_CALL_CHOICES}. */
export type TestCallChoice = typeof TEST_CALL_CHOICES[number];

/** A place in the history: the exact creation time (microseconds, as text) and the call id. */
export interface HistoryCursor {
  at: string;
  callId: string;
}

/** Where a page starts: older than `after` (next page) or newer than `before` (previous page). */
export interface HistoryPageRequest {
  after?: HistoryCursor | undefined;
  before?: HistoryCursor | undefined;
  /** Rows per page, 1 to 500. */
  limit: number;
}

const timestamp = z.coerce.date();

// Built on first use: store.ts imports this module before CALL_STATUSES exists.
function buildRowSchema() {
  return z.object({
    callId: z.string(),
    /** This row's place, for the cursors. */
    cursorAt: z.string(),
    createdAt: timestamp,
    offeredAt: timestamp.nullable(),
    acceptedAt: timestamp.nullable(),
    endedAt: timestamp.nullable(),
    direction: z.enum(["user_initiated", "business_initiated"]).nullable(),
    fromNumber: z.string().nullable(),
    toNumber: z.string().nullable(),
    /** The WhatsApp user when the number is absent (username-only users): see `call_format.ts`. */
    fromUserId: z.string().nullable(),
    toUserId: z.string().nullable(),
    username: z.string().nullable(),
    profileName: z.string().nullable(),
    /** Placed from "Talk to your agent". */
    testCall: z.boolean(),
    phoneNumberId: z.string().nullable(),
    status: z.enum(CALL_STATUSES),
    durationSeconds: z.number().int().nullable(),
    endReason: z.string().nullable(),
    metaErrorCode: z.number().int().nullable(),
    outcome: z.string().nullable(),
    // double precision comes back as a number, numeric as text: accept both.
    costUsd: z.coerce.number().nullable(),
  });
}

let rowSchema: ReturnType<typeof buildRowSchema> | undefined;

/** Checks one row of the history query. */
export function parseCallHistoryRow(row: unknown): CallHistoryRow {
  rowSchema ??= buildRowSchema();
  return rowSchema.parse(row);
}

/** A call as the history lists it. */
export type CallHistoryRow = z.infer<ReturnType<typeof buildRowSchema>>;

/** One page, newest first, with the cursors of its neighbours (`null`: there is none). */
export interface CallHistoryPage {
  rows: CallHistoryRow[];
  /** Ask `{ before: newer }` for the previous (newer) page. */
  newer: HistoryCursor | null;
  /** Ask `{ after: older }` for the next (older) page. */
  older: HistoryCursor | null;
}

/** Call history queries of a {@linkcode Store}. */
export interface CallHistoryStore {
  /** One page of calls matching `filter`, newest first. */
  listCallHistory(filter: CallHistoryFilter, page: HistoryPageRequest): Promise<CallHistoryPage>;
  /** Every call matching `filter`, newest first, `batchSize` rows per query (for exports). */
  iterateCallHistory(
    filter: CallHistoryFilter,
    batchSize?: number,
  ): AsyncGenerator<CallHistoryRow[]>;
  /** The distinct outcomes the analysis has recorded, sorted. */
  listOutcomes(): Promise<string[]>;
}

/** The most rows one page may hold. */
export const MAX_HISTORY_PAGE = 500;

const SELECT = `c.call_id as "callId",
  to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "cursorAt",
  c.created_at as "createdAt", c.offered_at as "offeredAt", c.accepted_at as "acceptedAt",
  c.ended_at as "endedAt", c.direction, c.from_number as "fromNumber", c.to_number as "toNumber",
  c.from_user_id as "fromUserId", c.to_user_id as "toUserId", c.username,
  c.profile_name as "profileName", c.test_call as "testCall",
  c.phone_number_id as "phoneNumberId", c.status, c.duration_seconds as "durationSeconds",
  c.end_reason as "endReason", c.meta_error_code as "metaErrorCode", a.outcome,
  f.cost_usd as "costUsd"`;

/**
 * Up to this many calls matching the words, the query starts from them (the
 * GIN index, then sort): a few ms even when they are all old. More, and the
 * words are common enough that walking the history finds a page of them
 * soon. The planner cannot tell these apart itself: it knows how many calls
 * match, not when they were made, so for a word said in 1 % of calls, all a
 * year ago, it walked 100,000 calls (280 ms) to find none recent.
 */
export const TEXT_FETCH_LIMIT = 10_000;

/** How the words are looked up: from the index first, or checked along the history walk. */
type TextPlan = "fetch" | "walk";

/** `with` clause and `where` conditions for `filter`, parameters appended to `params`. */
function conditions(
  filter: CallHistoryFilter,
  params: SqlParam[],
  textPlan: TextPlan,
): { with: string; where: string[] } {
  const add = (value: SqlParam) => `$${params.push(value)}`;
  const where: string[] = [];
  let withClause = "";
  if (filter.since) where.push(`c.created_at >= ${add(filter.since.toISOString())}::timestamptz`);
  if (filter.until) where.push(`c.created_at < ${add(filter.until.toISOString())}::timestamptz`);
  if (filter.number !== undefined) {
    const n = add(filter.number);
    where.push(
      filter.numberScope === "business"
        ? `c.phone_number_id = ${n}`
        : `(c.from_number = ${n} or c.to_number = ${n} or c.phone_number_id = ${n})`,
    );
  }
  if (filter.direction) where.push(`c.direction = ${add(filter.direction)}`);
  if (filter.status) where.push(`c.status = ${add(filter.status)}`);
  // "only" reads the partial index voice_calls_test_call_idx.
  if (filter.testCalls === "exclude") where.push("not c.test_call");
  if (filter.testCalls === "only") where.push("c.test_call");
  if (filter.outcome !== undefined) {
    where.push(`exists (select 1 from public.voice_call_analysis o
      where o.call_id = c.call_id and o.outcome = ${add(filter.outcome)})`);
  }
  if (filter.text !== undefined) {
    // One document per call (voice_call_search, GIN-indexed): see the migration for why.
    const query = `websearch_to_tsquery('simple', ${add(filter.text)})`;
    if (textPlan === "fetch") {
      // Materialized: the matching ids first, whatever the planner guesses.
      withClause = `with hits as materialized (
        select call_id from public.voice_call_search where document @@ ${query})`;
      where.push(`c.call_id in (select call_id from hits)`);
    } else {
      where.push(`exists (select 1 from public.voice_call_search s
        where s.call_id = c.call_id and s.document @@ ${query})`);
    }
  }
  return { with: withClause, where };
}

function cursorOf(row: CallHistoryRow): HistoryCursor {
  return { at: row.cursorAt, callId: row.callId };
}

/** The call history methods over `db`; `textFetchLimit` is for tests of both text plans. */
export function callHistoryMethods(
  db: SqlAdapter,
  options: { textFetchLimit?: number } = {},
): CallHistoryStore {
  const fetchLimit = options.textFetchLimit ?? TEXT_FETCH_LIMIT;
  /** Up to `limit` rows past `cursor` in `direction`, always returned newest first. */
  async function slice(
    filter: CallHistoryFilter,
    cursor: HistoryCursor | undefined,
    direction: "older" | "newer",
    limit: number,
    textPlan: TextPlan,
  ): Promise<CallHistoryRow[]> {
    const params: SqlParam[] = [];
    const { with: withClause, where } = conditions(filter, params, textPlan);
    const op = direction === "older" ? "<" : ">";
    if (cursor) {
      // `::text` first: typed timestamptz, postgres.js would send the parameter
      // through a JS Date and lose the microseconds the cursor keeps.
      const at = `$${params.push(cursor.at)}::text::timestamptz`;
      where.push(`(c.created_at, c.call_id) ${op} (${at}, $${params.push(cursor.callId)})`);
    }
    const order = direction === "older" ? "desc" : "asc";
    // The page's calls first, then their outcome and cost: joined for the
    // rows shown, not for every call the filters look at.
    const rows = await db.query(
      `${withClause} select ${SELECT} from (
         select c.* from public.voice_calls c
         ${where.length === 0 ? "" : `where ${where.join(" and ")}`}
         order by c.created_at ${order}, c.call_id ${order}
         limit $${params.push(limit)}) c
       left join public.voice_call_analysis a on a.call_id = c.call_id
       left join public.voice_call_figures f on f.call_id = c.call_id
       order by c.created_at ${order}, c.call_id ${order}`,
      params,
    );
    const parsed = rows.map(parseCallHistoryRow);
    return direction === "older" ? parsed : parsed.reverse();
  }

  /** `fetch` when at most `fetchLimit` calls hold the words (one GIN lookup). */
  async function planText(filter: CallHistoryFilter): Promise<TextPlan> {
    if (filter.text === undefined) return "walk";
    const rows = await db.query<{ n: unknown }>(
      `select count(*) as n from (select 1 from public.voice_call_search
         where document @@ websearch_to_tsquery('simple', $1) limit $2) m`,
      [filter.text, fetchLimit + 1],
    );
    return z.coerce.number().parse(rows[0]?.n) <= fetchLimit ? "fetch" : "walk";
  }

  return {
    async listCallHistory(filter, page) {
      const plan = await planText(filter);
      const limit = Math.min(Math.max(1, Math.trunc(page.limit)), MAX_HISTORY_PAGE);
      if (page.before !== undefined) {
        // One row more than shown says whether a newer page exists.
        const rows = await slice(filter, page.before, "newer", limit + 1, plan);
        // Nothing newer (those calls were deleted): the first page, not an empty one.
        if (rows.length === 0) return this.listCallHistory(filter, { limit });
        const more = rows.length > limit;
        const shown = more ? rows.slice(1) : rows;
        return {
          rows: shown,
          newer: more && shown[0] ? cursorOf(shown[0]) : null,
          older: shown.at(-1) ? cursorOf(shown.at(-1)!) : page.before,
        };
      }
      const rows = await slice(filter, page.after, "older", limit + 1, plan);
      const more = rows.length > limit;
      const shown = more ? rows.slice(0, limit) : rows;
      return {
        rows: shown,
        newer: page.after !== undefined && shown[0] ? cursorOf(shown[0]) : null,
        older: more ? cursorOf(shown.at(-1)!) : null,
      };
    },

    async *iterateCallHistory(filter, batchSize = 500) {
      const size = Math.min(Math.max(1, Math.trunc(batchSize)), MAX_HISTORY_PAGE);
      const plan = await planText(filter);
      let after: HistoryCursor | undefined;
      for (;;) {
        const rows = await slice(filter, after, "older", size, plan);
        if (rows.length > 0) yield rows;
        if (rows.length < size) return;
        after = cursorOf(rows.at(-1)!);
      }
    },

    async listOutcomes() {
      // A skip scan over voice_call_analysis_outcome_idx: one index probe per
      // distinct outcome, not a pass over every analysed call.
      const rows = await db.query<{ outcome: unknown }>(
        `with recursive ${skipScanCte("o", "outcome", "public.voice_call_analysis", "outcome")}
         select outcome from o where outcome is not null`,
      );
      return rows.map((r) => z.string().parse(r.outcome));
    },
  };
}
