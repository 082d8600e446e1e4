-- The end-of-call webhook's outbox: one row per message (call.ended,
-- call.analyzed) to CALL_WEBHOOK_URL, written before any attempt so a bridge
-- that restarts, or a receiver that is down, loses nothing. Any bridge may
-- deliver any row: a deliverer claims due rows with FOR UPDATE SKIP LOCKED and
-- pushes next_attempt_at past its request timeout (a lease), so two bridges
-- never make the same attempt, and a bridge killed mid-attempt leaves the row
-- to be tried again once the lease runs out (at least once, maybe twice).
create table public.voice_call_webhooks (
  -- The Standard Webhooks `webhook-id`, the same on every retry.
  webhook_id text primary key,
  type text not null,
  call_id text not null,
  -- The body's JSON; each attempt signs and sends its serialization.
  payload jsonb not null,
  state text not null default 'pending'
    check (state in ('pending', 'delivered', 'failed', 'gone')),
  -- Attempts made or under way.
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  -- The receiver's last HTTP status, or null when no response came.
  last_status integer,
  last_error text,
  created_at timestamptz not null default now(),
  -- One message of each type per call, whoever ends it and however often.
  unique (call_id, type)
);

create index voice_call_webhooks_due on public.voice_call_webhooks (next_attempt_at)
  where state = 'pending';

comment on table public.voice_call_webhooks is
  'Outbox of the signed end-of-call webhook (Standard Webhooks): one row per message, retried until delivered or given up.';

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.voice_call_webhooks enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_webhooks from %I', api_role);
    end if;
  end loop;
end;
$$;
