-- Test calls ("Talk to your agent", voice_calls.test_call from
-- 20261209000500_test_calls.sql) are not traffic: no caller, no Meta, and the
-- agent's cost is the business trying its own agent. The analytics facts
-- (20261209000300_call_analytics.sql) leave them out, so calls, answered and
-- cost count real callers only. Leaving them out of the table, rather than
-- flagging them, keeps every query and covering index as it was.
--
-- A separate migration because the facts' migration runs before the column
-- exists; both are new in the same release.

create or replace function public.voice_call_facts_refresh(target text) returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(70463113, pg_catalog.hashtext(target));
  -- A call that became a test call (or was one all along) leaves the facts.
  delete from public.voice_call_facts f
  using public.voice_calls c
  where f.call_id = target and c.call_id = target and c.test_call;
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
  where c.call_id = target and not c.test_call
  on conflict (call_id) do update set started_at = excluded.started_at,
    phone_number_id = excluded.phone_number_id, business_number = excluded.business_number,
    kind = excluded.kind, duration_seconds = excluded.duration_seconds,
    end_reason = excluded.end_reason, cost_usd = excluded.cost_usd,
    turn_p50_ms = excluded.turn_p50_ms, turn_p95_ms = excluded.turn_p95_ms,
    outcome = excluded.outcome;
end;
$$;

create or replace function public.voice_call_facts_rebuild() returns void
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
  left join public.voice_call_analysis a on a.call_id = c.call_id
  where not c.test_call;
$$;

-- test_call joins the columns whose change refreshes a call's facts.
drop trigger voice_call_facts_from_calls on public.voice_calls;
create trigger voice_call_facts_from_calls
  after insert or update of offered_at, created_at, phone_number_id, direction, from_number, to_number,
    status, accepted_at, ended_at, duration_seconds, end_reason, test_call
  on public.voice_calls
  for each row execute function public.voice_call_facts_touch();

-- Test calls placed before this migration.
select public.voice_call_facts_rebuild();

-- create or replace keeps the functions' grants; revoked again in case a
-- fresh PUBLIC default crept in.
do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format(
        'revoke all on function public.voice_call_facts_refresh(text), '
        'public.voice_call_facts_rebuild() from %I',
        api_role
      );
    end if;
  end loop;
end;
$$;
