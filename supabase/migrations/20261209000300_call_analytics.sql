-- The console's analytics page (console/pages/analytics.ts) reads one narrow
-- row per call instead of joining voice_calls, voice_call_figures and
-- voice_call_analysis: those rows are wide (jsonb breakdowns, summaries), and
-- grouping 100,000 of them by day took ~500 ms on the benchmark's data.
-- Triggers keep it in step with the three tables, so it is never stale and no
-- writer has to know it exists. Test calls ("Talk to your agent") are left out
-- by 20261209000600_call_facts_test_calls.sql, once voice_calls.test_call exists.
--
-- kind is exclusive, so the columns of a day add up:
--   failed    status failed (also after the call was answered),
--   rejected  status rejected,
--   answered  accepted (accepted_at set) and neither of the above,
--   other     never accepted: missed, or still ringing.
create table public.voice_call_facts (
  call_id text primary key references public.voice_calls (call_id) on delete cascade,
  -- When the call began: Meta's offer (the connect webhook), else when it was stored.
  started_at timestamptz not null,
  -- '' when the call has none yet, so grouping never meets null.
  phone_number_id text not null default '',
  -- The business's own number: Meta's `to` on user-initiated calls, `from` otherwise.
  business_number text,
  kind text not null check (kind in ('answered', 'rejected', 'failed', 'other')),
  -- Talk time of an answered call: Meta's duration, else accept → end.
  duration_seconds integer,
  end_reason text,
  cost_usd double precision,
  turn_p50_ms double precision,
  turn_p95_ms double precision,
  outcome text
);

-- Covering indexes: a day's or a number's range is read from the index alone.
create index voice_call_facts_started_at_idx on public.voice_call_facts (started_at)
  include (phone_number_id, kind, duration_seconds, cost_usd, turn_p50_ms, turn_p95_ms, outcome,
    end_reason);
-- One number's range, and the list of numbers (a loose index scan).
create index voice_call_facts_number_idx on public.voice_call_facts (phone_number_id, started_at)
  include (kind, duration_seconds, cost_usd, turn_p50_ms, turn_p95_ms, business_number);

-- Percentiles over a number or the whole range: read in value order from these,
-- skipping to the row wanted (store/percentile_walk.ts), not sorted per request.
create index voice_call_facts_p50_idx on public.voice_call_facts (turn_p50_ms)
  include (started_at) where turn_p50_ms is not null;
create index voice_call_facts_p95_idx on public.voice_call_facts (turn_p95_ms)
  include (started_at) where turn_p95_ms is not null;
create index voice_call_facts_number_p50_idx
  on public.voice_call_facts (phone_number_id, turn_p50_ms)
  include (started_at) where turn_p50_ms is not null;
create index voice_call_facts_number_p95_idx
  on public.voice_call_facts (phone_number_id, turn_p95_ms)
  include (started_at) where turn_p95_ms is not null;

comment on table public.voice_call_facts is
  'One narrow row per call for the console''s analytics, kept in step by triggers.';

-- Rebuilds the facts of one call from the three tables; every trigger below
-- calls it, whichever row came first. Two writers of one call (the call's
-- terminate, its figures settling) take turns on a lock held to commit, and the
-- second reads with a snapshot taken after the first committed: otherwise it
-- would overwrite the facts with what it saw before, losing the first's write.
create function public.voice_call_facts_refresh(target text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(70463113, pg_catalog.hashtext(target));
  insert into public.voice_call_facts as f (call_id, started_at, phone_number_id,
    business_number, kind, duration_seconds, end_reason, cost_usd, turn_p50_ms, turn_p95_ms,
    outcome)
  select c.call_id, coalesce(c.offered_at, c.created_at), coalesce(c.phone_number_id, ''),
    case when c.direction = 'business_initiated' then c.from_number else c.to_number end,
    case when c.status = 'failed' then 'failed' when c.status = 'rejected' then 'rejected'
         when c.accepted_at is not null then 'answered' else 'other' end,
    case when c.accepted_at is not null then coalesce(c.duration_seconds,
      case when c.ended_at >= c.accepted_at
           then extract(epoch from c.ended_at - c.accepted_at)::integer end) end,
    c.end_reason, g.cost_usd, g.turn_p50_ms, g.turn_p95_ms, a.outcome
  from public.voice_calls c
  left join public.voice_call_figures g on g.call_id = c.call_id
  left join public.voice_call_analysis a on a.call_id = c.call_id
  where c.call_id = target
  on conflict (call_id) do update set started_at = excluded.started_at,
    phone_number_id = excluded.phone_number_id, business_number = excluded.business_number,
    kind = excluded.kind, duration_seconds = excluded.duration_seconds,
    end_reason = excluded.end_reason, cost_usd = excluded.cost_usd,
    turn_p50_ms = excluded.turn_p50_ms, turn_p95_ms = excluded.turn_p95_ms,
    outcome = excluded.outcome;
end;
$$;

-- Every call at once: after a bulk load with triggers off (the benchmark's seed).
create function public.voice_call_facts_rebuild() returns void
language sql
set search_path = ''
as $$
  delete from public.voice_call_facts;
  insert into public.voice_call_facts (call_id, started_at, phone_number_id, business_number,
    kind, duration_seconds, end_reason, cost_usd, turn_p50_ms, turn_p95_ms, outcome)
  select c.call_id, coalesce(c.offered_at, c.created_at), coalesce(c.phone_number_id, ''),
    case when c.direction = 'business_initiated' then c.from_number else c.to_number end,
    case when c.status = 'failed' then 'failed' when c.status = 'rejected' then 'rejected'
         when c.accepted_at is not null then 'answered' else 'other' end,
    case when c.accepted_at is not null then coalesce(c.duration_seconds,
      case when c.ended_at >= c.accepted_at
           then extract(epoch from c.ended_at - c.accepted_at)::integer end) end,
    c.end_reason, g.cost_usd, g.turn_p50_ms, g.turn_p95_ms, a.outcome
  from public.voice_calls c
  left join public.voice_call_figures g on g.call_id = c.call_id
  left join public.voice_call_analysis a on a.call_id = c.call_id;
$$;

create function public.voice_call_facts_touch() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform public.voice_call_facts_refresh(old.call_id);
  else
    perform public.voice_call_facts_refresh(new.call_id);
  end if;
  return null;
end;
$$;

-- Only the columns the facts read: a call's other updates cost nothing here.
create trigger voice_call_facts_from_calls
  after insert or update of offered_at, created_at, phone_number_id, direction, from_number, to_number,
    status, accepted_at, ended_at, duration_seconds, end_reason
  on public.voice_calls
  for each row execute function public.voice_call_facts_touch();

create trigger voice_call_facts_from_figures
  after insert or update or delete on public.voice_call_figures
  for each row execute function public.voice_call_facts_touch();

create trigger voice_call_facts_from_analysis
  after insert or update of outcome or delete on public.voice_call_analysis
  for each row execute function public.voice_call_facts_touch();

-- Calls stored before this migration.
select public.voice_call_facts_rebuild();

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.voice_call_facts enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_facts from %I', api_role);
      execute format(
        'revoke all on function public.voice_call_facts_refresh(text), '
        'public.voice_call_facts_rebuild(), public.voice_call_facts_touch() from %I',
        api_role
      );
    end if;
  end loop;
end;
$$;
