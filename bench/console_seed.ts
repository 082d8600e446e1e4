/**
 * Seeds a migrated database with a call centre's history for the console
 * benchmark: calls spread over the last `days` days and several WhatsApp
 * numbers, each with its events, transcript, usage, figures, analysis,
 * recording and webhook outbox rows, as the bridge and the Edge Function
 * write them. Everything is generated inside PostgreSQL (`generate_series`,
 * `setseed` for a repeatable spread), so 100,000 calls take seconds, not the
 * minutes a row-by-row insert would.
 *
 * @module
 */
import type { SqlExecutor } from "../store/adapter.ts";

/** How much to seed; every field has a default. */
export interface SeedOptions {
  /** @default 100_000 */
  calls?: number;
  /** Spread over the last this many days. @default 90 */
  days?: number;
  /** `phone_number_id`s the calls go to. @default four numbers */
  numbers?: readonly string[];
  /** Calls still in progress (status `active`), started in the last minutes. @default 12 */
  liveCalls?: number;
  /** "Now" for the spread. @default the database's now() */
  now?: Date;
}

/** The `phone_number_id`s the seed uses by default. */
export const SEED_NUMBERS: readonly string[] = [
  "100000000000001",
  "100000000000002",
  "100000000000003",
  "100000000000004",
];

/** Words the transcript lines are made of, so text search has real work to do. */
const WORDS = [
  "order",
  "delivery",
  "refund",
  "invoice",
  "appointment",
  "tomorrow",
  "address",
  "payment",
  "card",
  "account",
  "password",
  "booking",
  "cancel",
  "change",
  "thanks",
  "please",
  "hello",
  "yes",
  "no",
  "maybe",
  "price",
  "parcel",
  "late",
  "broken",
  "help",
  "manager",
  "table",
  "friday",
  "morning",
  "evening",
];

const OUTCOMES = ["resolved", "callback_requested", "escalated", "abandoned", "sale"];
const END_REASONS = ["caller_hung_up", "agent_ended", "meta_completed", "max_duration"];

/** Seeds the data; returns the call ids of a few answered calls (for `/calls/:id`). */
export async function seedConsoleData(
  db: Pick<SqlExecutor, "query">,
  options: SeedOptions = {},
): Promise<{ sampleCallIds: string[] }> {
  const calls = options.calls ?? 100_000;
  const days = options.days ?? 90;
  const numbers = options.numbers ?? SEED_NUMBERS;
  const live = options.liveCalls ?? 12;
  const now = (options.now ?? new Date()).toISOString();
  await db.query("select setseed(0.4242)");
  // A bulk load: per-row triggers (the analytics facts, live notifications) are
  // off, and the facts are rebuilt once at the end. Needs a superuser.
  await db.query("set session_replication_role = replica");
  await db.query(seedCallsSql(calls, days, numbers, now));
  await db.query(seedLiveSql(live, numbers, now));
  await db.query(seedEventsSql());
  await db.query(seedTranscriptsSql());
  await db.query(seedFiguresSql());
  await db.query(seedAnalysisSql());
  await db.query(seedOutboxSql());
  await db.query("drop table if exists seed_turns");
  await db.query("set session_replication_role = default");
  await db.query("select public.voice_call_facts_rebuild()");
  const rows = await db.query<{ call_id: string }>(
    `select call_id from public.voice_calls where status = 'completed' and accepted_at is not null
     order by call_id limit 5`,
  );
  return { sampleCallIds: rows.map((r) => r.call_id) };
}

function textArray(values: readonly string[]): string {
  return `array[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(",")}]::text[]`;
}

/**
 * The calls: ~80% answered and completed, 8% rejected, 7% failed (half of
 * them after the answer), 5% missed, evenly over the days (every tenth one
 * business-initiated) and unevenly over the numbers.
 */
function seedCallsSql(calls: number, days: number, numbers: readonly string[], now: string) {
  return `
  insert into public.voice_calls (call_id, direction, from_number, to_number, phone_number_id,
    status, offered_at, pre_accepted_at, accepted_at, ended_at, duration_seconds, end_reason,
    meta_error_code, meta_status, meta_error_codes, from_user_id, profile_name, bridge_session_id,
    created_at, updated_at)
  select c.call_id, c.direction,
    case when c.business then '+15550001000' else c.caller end,
    case when c.business then c.caller else '+15550001000' end, c.number, c.status, c.offered,
    c.offered + interval '300 ms',
    case when c.answered then c.offered + interval '1 s' end,
    c.offered + make_interval(secs => c.talk + 1),
    case when c.answered then c.talk::int end,
    c.reason,
    case when c.status = 'failed' then 138021 end,
    upper(c.status),
    case when c.status = 'failed' then array[138021] end,
    'US.' || c.n % 20000, 'Caller ' || c.n % 20000, 'bench-session-' || c.n,
    c.offered, c.offered + make_interval(secs => c.talk + 1)
  from (
    select s.*,
      case when s.r < 0.80 then 'completed' when s.r < 0.88 then 'rejected'
           when s.r < 0.95 then 'failed' else 'completed' end as status,
      s.r < 0.80 or (s.r >= 0.88 and s.r < 0.915) as answered,
      case when s.r < 0.80 then (${textArray(END_REASONS)})[1 + (s.n % ${END_REASONS.length})]
           when s.r < 0.88 then 'meta_rejected' when s.r < 0.95 then 'meta_failed'
           else 'meta_completed' end as reason,
      case when s.r < 0.80 or (s.r >= 0.88 and s.r < 0.915) then 15 + floor(random() * 400)
           else 0 end as talk
    from (
      select n, 'wacid.bench.' || lpad(n::text, 7, '0') as call_id, random() as r,
        (${textArray(numbers)})[1 + floor(random() * random() * ${numbers.length})::int]
          as number,
        case when n % 10 = 0 then 'business_initiated' else 'user_initiated' end as direction,
        n % 10 = 0 as business,
        '+4477009' || lpad((n % 20000)::text, 5, '0') as caller,
        '${now}'::timestamptz - interval '10 minutes'
          - make_interval(secs => floor(random() * ${days} * 86400)::int) as offered
      from generate_series(1, ${calls}) as n
    ) s
  ) c;`;
}

function seedLiveSql(live: number, numbers: readonly string[], now: string): string {
  return `
  insert into public.voice_calls (call_id, direction, from_number, to_number, phone_number_id,
    status, offered_at, pre_accepted_at, accepted_at, bridge_session_id, created_at)
  select 'wacid.live.' || n, 'user_initiated', '+4477119' || lpad(n::text, 5, '0'), '+15550001000',
    (${textArray(numbers)})[1 + n % ${numbers.length}], 'active',
    '${now}'::timestamptz - make_interval(secs => n * 20),
    '${now}'::timestamptz - make_interval(secs => n * 20 - 1),
    '${now}'::timestamptz - make_interval(secs => n * 20 - 2), 'bench-live-' || n,
    '${now}'::timestamptz - make_interval(secs => n * 20)
  from generate_series(1, ${live}) as n;`;
}

/** Per answered call: 4–5 turns; kept in a scratch table so events and figures agree. */
function seedEventsSql(): string {
  return `
  create unlogged table seed_turns as
  select c.call_id, t.i, 420 + floor(random() * 500 + power(random(), 6) * 2500)::int as ms,
    c.accepted_at + make_interval(secs => t.i * 8) as at
  from public.voice_calls c, generate_series(1, 4 + (hashtext(c.call_id) & 1)) as t(i)
  where c.accepted_at is not null and c.ended_at is not null;

  insert into public.voice_call_events (call_id, name, occurred_at, data, dedupe_key)
  select c.call_id, e.name, c.offered_at + e.after, e.data, c.call_id || ':' || e.name
  from public.voice_calls c
  cross join lateral (values
    ('connect', interval '0', jsonb_build_object('from', c.from_number)),
    ('pre_accept_sent', interval '300 ms', '{}'::jsonb),
    ('accept_sent', interval '900 ms', '{}'::jsonb),
    ('accepted', interval '1 s', jsonb_build_object('webhookToAcceptMs', 1000)),
    ('first_agent_audio', interval '1700 ms', jsonb_build_object('afterAcceptMs', 700))
  ) as e(name, after, data)
  where c.accepted_at is not null and c.ended_at is not null;

  insert into public.voice_call_events (call_id, name, occurred_at, data, dedupe_key)
  select call_id, 'turn_latency', at, jsonb_build_object('ms', ms), null from seed_turns;

  insert into public.voice_call_events (call_id, name, occurred_at, data, dedupe_key)
  select call_id, 'terminate', coalesce(ended_at, offered_at + interval '20 s'),
    jsonb_build_object('status', upper(status), 'durationSec', duration_seconds),
    call_id || ':terminate'
  from public.voice_calls where ended_at is not null;

  insert into public.voice_call_events (call_id, name, occurred_at, data, dedupe_key)
  select call_id, 'connect', offered_at, '{}'::jsonb, call_id || ':connect'
  from public.voice_calls where accepted_at is null and ended_at is not null;`;
}

/** 8 lines per answered call, alternating agent and caller, 5–11 random words each. */
function seedTranscriptsSql(): string {
  return `
  insert into public.voice_call_transcripts (call_id, speaker, text, started_at, ended_at,
    interrupted, line_id)
  select c.call_id, case when l.i % 2 = 1 then 'agent' else 'caller' end,
    (select string_agg((${textArray(WORDS)})[1 + floor(random() * ${WORDS.length})::int], ' ')
       from generate_series(1, 5 + (l.i * 7 + length(c.call_id)) % 7) w
       where l.i > 0),
    c.accepted_at + make_interval(secs => l.i * 4),
    c.accepted_at + make_interval(secs => l.i * 4 + 3),
    l.i = 5, c.call_id || ':line:' || l.i
  from public.voice_calls c, generate_series(1, 8) as l(i)
  where c.accepted_at is not null and c.ended_at is not null;`;
}

function seedFiguresSql(): string {
  return `
  insert into public.voice_call_usage (call_id, model, requests, input_tokens, input_audio_tokens,
    output_tokens, output_audio_tokens)
  select call_id, 'gpt-realtime-2.1', 5, 4000 + duration_seconds * 30, 3000 + duration_seconds * 25,
    1500 + duration_seconds * 12, 1400 + duration_seconds * 11
  from public.voice_calls where accepted_at is not null and ended_at is not null;

  insert into public.voice_call_figures (call_id, cost_usd, cost, turn_count, turn_p50_ms,
    turn_p95_ms, webhook_to_accept_ms, accept_to_first_audio_ms, latency, settled_at)
  select c.call_id, round((0.01 + c.duration_seconds * 0.0011)::numeric, 4)::float8,
    jsonb_build_object('currency', 'USD', 'totalUsd', round((0.01 + c.duration_seconds * 0.0011)::numeric, 4),
      'openai', jsonb_build_object('totalUsd', round((0.01 + c.duration_seconds * 0.0011)::numeric, 4), 'models', '[]'::jsonb),
      'meta', jsonb_build_object('usd', 0, 'pulses', 0), 'unpriced', '[]'::jsonb),
    t.n, t.p50, t.p95, 1000, 700,
    jsonb_build_object('turns', t.n, 'p50Ms', t.p50, 'p95Ms', t.p95, 'turnsMs', t.all_ms,
      'webhookToAcceptMs', 1000, 'acceptToFirstAudioMs', 700),
    c.ended_at + interval '2 s'
  from public.voice_calls c
  join (
    select call_id, count(*)::int as n, jsonb_agg(ms order by i) as all_ms,
      percentile_cont(0.5) within group (order by ms) as p50,
      percentile_cont(0.95) within group (order by ms) as p95
    from seed_turns group by call_id
  ) t using (call_id);`;
}

function seedAnalysisSql(): string {
  return `
  insert into public.voice_call_analysis (call_id, status, summary, outcome, fields, model,
    input_tokens, output_tokens, attempts)
  select call_id, 'analysed', 'The caller asked about an order and got an answer.',
    (${textArray(OUTCOMES)})[1 + floor(random() * ${OUTCOMES.length})::int],
    jsonb_build_object('order_number', 'A' || (hashtext(call_id) & 65535)), 'gpt-5-mini',
    1200, 150, 1
  from public.voice_calls where accepted_at is not null and ended_at is not null;`;
}

function seedOutboxSql(): string {
  return `
  insert into public.voice_call_webhooks (webhook_id, type, call_id, payload, state, attempts,
    next_attempt_at, last_attempt_at, delivered_at, last_status, created_at)
  select 'msg_' || md5(c.call_id || k.type), k.type, c.call_id,
    jsonb_build_object('type', k.type, 'callId', c.call_id),
    case when hashtext(c.call_id) % 50 = 0 then 'failed' else 'delivered' end, 1,
    c.ended_at + interval '3 s', c.ended_at + interval '3 s', c.ended_at + interval '3 s', 200,
    c.ended_at + interval '2 s'
  from public.voice_calls c, (values ('call.ended'), ('call.analyzed')) as k(type)
  where c.ended_at is not null;

  insert into public.voice_call_recordings (call_id, location, key, bytes, duration_ms, uploaded_at)
  select call_id, 's3', 'recordings/' || call_id || '.ogg', duration_seconds * 4000,
    duration_seconds * 1000, ended_at + interval '5 s'
  from public.voice_calls where accepted_at is not null and ended_at is not null;`;
}
