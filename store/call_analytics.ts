/**
 * The console's analytics: per local day and per WhatsApp number
 * (`phone_number_id`) over a date range in a time zone, how many calls came,
 * how they ended (answered / rejected / failed / other), their average talk
 * time, turn latency p50 and p95, cost, outcomes and end reasons.
 *
 * Reads `voice_call_facts`, one narrow row per call that triggers keep in
 * step with `voice_calls`, `voice_call_figures` and `voice_call_analysis`
 * (migration `20261209000300_call_analytics.sql`).
 *
 * Turn latency is `percentile_cont` over the calls' stored figures: p50 is the
 * median of the calls' median turn latency (`turn_p50_ms`), p95 the 95th
 * percentile of the calls' p95 (`turn_p95_ms`). Pooling every turn of 100,000
 * calls took ~400 ms; this takes a fraction and still answers "how slow is a
 * typical call, and how slow are the slow ones". A day's percentiles sort its
 * calls; a number's and the range's, which cover up to every call, are read
 * from an index in value order instead (`percentile_walk.ts`), same result.
 *
 * @module
 */
import { z } from "zod";
import type { SqlAdapter, SqlParam } from "./adapter.ts";
import { type Walk, walkResult, walkSelect } from "./percentile_walk.ts";

/** The longest range one query covers, in days. */
export const MAX_ANALYTICS_DAYS = 366;

/**
 * Which calls to count: those that began (Meta's offer, else when the row was
 * stored) on local days `from`…`to` (inclusive) in `timeZone`.
 */
export interface AnalyticsQuery {
  /** First local day, `YYYY-MM-DD`. */
  from: string;
  /** Last local day, `YYYY-MM-DD`, inclusive. */
  to: string;
  /** An IANA time zone, e.g. `Europe/London`: where a day starts and ends. */
  timeZone: string;
  /** Only this number's calls; absent: every number. */
  phoneNumberId?: string | undefined;
}

const count = z.coerce.number().int().nonnegative();
const decimal = z.coerce.number().nullable();

/** Figures of one group of calls. */
export const analyticsFiguresSchema = z.object({
  calls: count,
  answered: count,
  rejected: count,
  failed: count,
  /** Never accepted and neither rejected nor failed: missed, or still ringing. */
  other: count,
  /** Mean talk time of the answered calls, seconds; null when none. */
  avgDurationSeconds: decimal,
  turnP50Ms: decimal,
  turnP95Ms: decimal,
  /** Sum of the settled calls' cost, USD (0 when none was settled). */
  costUsd: z.coerce.number(),
});

/** Figures of one group of calls. */
export type AnalyticsFigures = z.infer<typeof analyticsFiguresSchema>;

/** One local day. */
export type AnalyticsDay = AnalyticsFigures & { day: string };

/** One WhatsApp number. */
export type AnalyticsNumber = AnalyticsFigures & {
  phoneNumberId: string;
  /** The business's own number as calls carried it, when known. */
  businessNumber: string | null;
};

/** How many calls had each label. */
export interface AnalyticsLabel {
  /** `null`: none recorded (no analysis, or the call has not ended). */
  label: string | null;
  calls: number;
}

/** What {@linkcode CallAnalyticsStore.callAnalytics} returns. */
export interface CallAnalytics {
  /** Every day of the range in order, days without calls included (zeros). */
  days: AnalyticsDay[];
  /** Numbers with calls in the range, by `phone_number_id` (`""`: none recorded). */
  numbers: AnalyticsNumber[];
  total: AnalyticsFigures;
  /** Outcomes of the post-call analysis, most frequent first. */
  outcomes: AnalyticsLabel[];
  endReasons: AnalyticsLabel[];
}

/** Analytics reads of a {@linkcode Store}. */
export interface CallAnalyticsStore {
  /** The figures of the calls `query` selects; rejects a range over {@linkcode MAX_ANALYTICS_DAYS}. */
  callAnalytics(query: AnalyticsQuery): Promise<CallAnalytics>;
  /** Every `phone_number_id` that has calls, in order (for a filter's choices). */
  analyticsNumbers(): Promise<string[]>;
}

const dayRowSchema = analyticsFiguresSchema.extend({ day: z.string() });

const numberCountsSchema = z.object({
  phoneNumberId: z.string(),
  businessNumber: z.string().nullable(),
  calls: count,
  answered: count,
  rejected: count,
  failed: count,
  other: count,
  durationSum: z.coerce.number(),
  durationCount: count,
  costUsd: z.coerce.number(),
  p50Count: count,
  p95Count: count,
});

/** The counts a total adds up from its numbers. */
const SUMMED = [
  "calls",
  "answered",
  "rejected",
  "failed",
  "other",
  "durationSum",
  "durationCount",
  "costUsd",
  "p50Count",
  "p95Count",
] as const;

const EMPTY_COUNTS = {
  phoneNumberId: "",
  businessNumber: null,
  ...Object.fromEntries(SUMMED.map((k) => [k, 0])) as Record<typeof SUMMED[number], number>,
};

const walkRowSchema = z.record(z.string(), z.array(z.coerce.number()));

const labelRowSchema = z.object({
  kind: z.enum(["outcome", "end_reason"]),
  label: z.string().nullable(),
  calls: count,
});

// $1 first day, $2 last day (inclusive), $3 time zone, $4 number or null.
const AGGREGATES = `count(*) as calls,
    count(*) filter (where kind = 'answered') as answered,
    count(*) filter (where kind = 'rejected') as rejected,
    count(*) filter (where kind = 'failed') as failed,
    count(*) filter (where kind = 'other') as other,
    avg(duration_seconds) filter (where kind = 'answered') as "avgDurationSeconds",
    percentile_cont(0.5) within group (order by turn_p50_ms) as "turnP50Ms",
    percentile_cont(0.95) within group (order by turn_p95_ms) as "turnP95Ms",
    coalesce(sum(cost_usd), 0) as "costUsd"`;

const NUMBER = `($4::text is null or f.phone_number_id = $4)`;

// Each day's calls by an index range scan of their own: rows come grouped, so
// nothing sorts 100,000 rows by day (~2x faster than GROUP BY under load).
const DAYS_SQL = `
  with b as (
    select d::date as day, (d::date)::timestamp at time zone $3 as lo,
      (d::date + 1)::timestamp at time zone $3 as hi
    from generate_series($1::date, $2::date, interval '1 day') d
  )
  select to_char(b.day, 'YYYY-MM-DD') as day, s.*
  from b cross join lateral (
    select ${AGGREGATES} from public.voice_call_facts f
    where f.started_at >= b.lo and f.started_at < b.hi and ${NUMBER}
  ) s
  order by b.day`;

// The numbers by a loose index scan (one probe per number), then each number's
// range. No percentiles here: sorting each number's calls cost as much as the
// rest of the page; they come from index walks (PERCENTILE_WALK) instead.
const NUMBERS_SQL = `
  with recursive b as (
    select ($1::date)::timestamp at time zone $3 as lo,
      ($2::date + 1)::timestamp at time zone $3 as hi
  ), n(id) as (
    (select phone_number_id from public.voice_call_facts order by phone_number_id limit 1)
    union all
    select (select phone_number_id from public.voice_call_facts
            where phone_number_id > n.id order by phone_number_id limit 1)
    from n where n.id is not null
  )
  select n.id as "phoneNumberId", s.*
  from b, n cross join lateral (
    select count(*) as calls,
      count(*) filter (where kind = 'answered') as answered,
      count(*) filter (where kind = 'rejected') as rejected,
      count(*) filter (where kind = 'failed') as failed,
      count(*) filter (where kind = 'other') as other,
      coalesce(sum(duration_seconds) filter (where kind = 'answered'), 0) as "durationSum",
      count(duration_seconds) filter (where kind = 'answered') as "durationCount",
      coalesce(sum(cost_usd), 0) as "costUsd",
      count(turn_p50_ms) as "p50Count", count(turn_p95_ms) as "p95Count",
      max(business_number) as "businessNumber"
    from public.voice_call_facts f
    where f.phone_number_id = n.id and f.started_at >= b.lo and f.started_at < b.hi
  ) s
  where n.id is not null and ($4::text is null or n.id = $4) and s.calls > 0`;

const RANGE = `with b as (
    select ($1::date)::timestamp at time zone $3 as lo,
      ($2::date + 1)::timestamp at time zone $3 as hi
  )`;

const LABELS_SQL = `${RANGE}
  select case when grouping(f.outcome) = 0 then 'outcome' else 'end_reason' end as kind,
    coalesce(f.outcome, f.end_reason) as label, count(*) as calls
  from b, public.voice_call_facts f
  where f.started_at >= b.lo and f.started_at < b.hi and ${NUMBER}
  group by grouping sets ((f.outcome), (f.end_reason))
  order by calls desc, label`;

const NUMBER_LIST_SQL = `
  with recursive n(id) as (
    (select phone_number_id from public.voice_call_facts order by phone_number_id limit 1)
    union all
    select (select phone_number_id from public.voice_call_facts
            where phone_number_id > n.id order by phone_number_id limit 1)
    from n where n.id is not null
  )
  select id from n where id is not null`;

/** The analytics methods over `db`. */
export function callAnalyticsMethods(db: SqlAdapter): CallAnalyticsStore {
  return {
    async callAnalytics(query) {
      const days = localDays(query.from, query.to);
      const params = [query.from, query.to, query.timeZone, query.phoneNumberId ?? null];
      // Reads at once: a server runs them on separate connections.
      const [dayRows, labelRows, { numbers, total }] = await Promise.all([
        read(db, DAYS_SQL, params),
        read(db, LABELS_SQL, params),
        numbersAndTotal(db, params),
      ]);
      const byDay = new Map(dayRows.map((r) => {
        const { day, ...rest } = dayRowSchema.parse(r);
        return [day, rest];
      }));
      const labels = labelRows.map((r) => labelRowSchema.parse(r));
      const pick = (kind: "outcome" | "end_reason") =>
        labels.filter((l) => l.kind === kind).map(({ label, calls }) => ({ label, calls }));
      return {
        days: days.map((day) => ({ day, ...(byDay.get(day) ?? ZERO) })),
        numbers,
        total,
        outcomes: pick("outcome"),
        endReasons: pick("end_reason"),
      };
    },

    async analyticsNumbers() {
      const rows = await db.query(NUMBER_LIST_SQL);
      return rows.map((r) => z.object({ id: z.string() }).parse(r).id);
    },
  };
}

type NumberCounts = z.infer<typeof numberCountsSchema>;

/**
 * Each number's figures and the range's total: counts and sums per number
 * (the total is their sum), then every percentile by an index walk.
 */
async function numbersAndTotal(
  db: SqlAdapter,
  params: SqlParam[],
): Promise<{ numbers: AnalyticsNumber[]; total: AnalyticsFigures }> {
  const rows = (await read(db, NUMBERS_SQL, params)).map((r) => numberCountsSchema.parse(r));
  const sum = rows.reduce<NumberCounts>((t, r) => {
    const out = { ...t };
    for (const key of SUMMED) out[key] = t[key] + r[key];
    return out;
  }, { ...EMPTY_COUNTS });
  // With one number the total is that number: nothing to walk twice.
  const groups: (NumberCounts & { all: boolean })[] = rows.map((r) => ({ ...r, all: false }));
  if (rows.length !== 1) groups.push({ ...sum, all: true });
  const walks = groups.flatMap((g) => {
    const phoneNumberId = g.all ? null : g.phoneNumberId;
    return [
      { column: "turn_p50_ms", phoneNumberId, n: g.p50Count, q: 0.5 },
      { column: "turn_p95_ms", phoneNumberId, n: g.p95Count, q: 0.95 },
    ] satisfies Walk[];
  });
  const walkParams: SqlParam[] = params.slice(0, 3);
  const needed = walks.filter((w) => w.n > 0);
  const read_ = needed.length === 0
    ? {}
    : walkRowSchema.parse((await read(db, walkSelect(needed, walkParams), walkParams))[0]);
  const values = new Map(needed.map((w, i) => [w, walkResult(w, read_[`w${i}`] ?? [])]));
  const figures = (g: NumberCounts, i: number): AnalyticsFigures => ({
    calls: g.calls,
    answered: g.answered,
    rejected: g.rejected,
    failed: g.failed,
    other: g.other,
    avgDurationSeconds: g.durationCount === 0 ? null : g.durationSum / g.durationCount,
    turnP50Ms: values.get(walks[2 * i]!) ?? null,
    turnP95Ms: values.get(walks[2 * i + 1]!) ?? null,
    costUsd: g.costUsd,
  });
  const numbers = rows.map((r, i) => ({
    ...figures(r, i),
    phoneNumberId: r.phoneNumberId,
    businessNumber: r.businessNumber,
  })).sort((a, b) => b.calls - a.calls || a.phoneNumberId.localeCompare(b.phoneNumberId));
  const total = rows.length === 1 ? figures(rows[0]!, 0) : figures(sum, rows.length);
  return { numbers, total: rows.length === 0 ? ZERO : total };
}

/**
 * One read with JIT compilation off: the per-day plan's cost estimate is over
 * `jit_above_cost`, and compiling it took ~290 ms of a ~400 ms answer while
 * the query itself needs ~100 ms.
 */
function read(db: SqlAdapter, sql: string, params: SqlParam[]): Promise<unknown[]> {
  return db.transaction(async (tx) => {
    await tx.query("set local jit = off");
    return await tx.query(sql, params);
  });
}

const ZERO: AnalyticsFigures = {
  calls: 0,
  answered: 0,
  rejected: 0,
  failed: 0,
  other: 0,
  avgDurationSeconds: null,
  turnP50Ms: null,
  turnP95Ms: null,
  costUsd: 0,
};

/**
 * Every `YYYY-MM-DD` from `from` to `to` inclusive; a range that is reversed,
 * malformed or longer than {@linkcode MAX_ANALYTICS_DAYS} is a RangeError.
 */
export function localDays(from: string, to: string): string[] {
  const start = parseDay(from);
  const end = parseDay(to);
  const span = Math.round((end - start) / 86_400_000) + 1;
  if (span < 1) throw new RangeError(`the range ends (${to}) before it starts (${from})`);
  if (span > MAX_ANALYTICS_DAYS) {
    throw new RangeError(`the range is ${span} days; at most ${MAX_ANALYTICS_DAYS}`);
  }
  return Array.from(
    { length: span },
    (_, i) => new Date(start + i * 86_400_000).toISOString().slice(0, 10),
  );
}

function parseDay(day: string): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(ms)) {
    throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  }
  // Date.parse rolls 2026-02-30 over to March; a day must name itself.
  if (new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new RangeError(`no such day: ${day}`);
  }
  return ms;
}
