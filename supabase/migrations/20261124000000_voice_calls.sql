-- WhatsApp voice calls: one row per call (Meta's wacid), its event log, its
-- transcript, and the webhook receipts that could not be handled.
-- Runs on Supabase (PostgreSQL 15+) and on PGlite; no Supabase-only objects
-- are referenced unless guarded.

create table public.voice_calls (
  call_id text primary key,
  direction text check (direction in ('user_initiated', 'business_initiated')),
  from_number text,
  to_number text,
  phone_number_id text,
  -- offered/ringing -> pre_accepted -> accepted -> active -> completed;
  -- rejected and failed end a call that never completed normally.
  status text not null default 'offered' check (
    status in (
      'offered', 'ringing', 'pre_accepted', 'accepted', 'active',
      'rejected', 'completed', 'failed'
    )
  ),
  offered_at timestamptz,
  pre_accepted_at timestamptz,
  accepted_at timestamptz,
  ended_at timestamptz,
  duration_seconds integer check (duration_seconds >= 0),
  end_reason text,
  meta_error_code integer,
  bridge_session_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.voice_calls is
  'WhatsApp calls keyed by Meta''s call id (wacid). Phone numbers are stored as received.';

-- Live calls are few and looked up often (dashboards, the bridge at start-up).
create index voice_calls_live_idx on public.voice_calls (status)
  where status in ('offered', 'ringing', 'pre_accepted', 'accepted', 'active');
create index voice_calls_created_at_idx on public.voice_calls (created_at desc);
create index voice_calls_phone_number_id_idx on public.voice_calls (phone_number_id, created_at desc);
create index voice_calls_bridge_session_idx on public.voice_calls (bridge_session_id)
  where bridge_session_id is not null;

-- Keeps updated_at honest for writes that do not come through the store.
create function public.voice_calls_touch_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create trigger voice_calls_touch_updated_at
  before update on public.voice_calls
  for each row execute function public.voice_calls_touch_updated_at();

-- No foreign key to voice_calls: Meta does not order webhooks, so an event
-- (e.g. terminate) can be logged before the call row exists.
create table public.voice_call_events (
  id bigserial primary key,
  call_id text not null,
  name text not null,
  occurred_at timestamptz not null default now(),
  data jsonb not null default '{}'::jsonb,
  -- e.g. '<wacid>:<event>'; Meta redelivers webhooks, the unique key drops repeats.
  dedupe_key text unique,
  created_at timestamptz not null default now()
);

create index voice_call_events_call_idx on public.voice_call_events (call_id, occurred_at, id);

create table public.voice_call_transcripts (
  id bigserial primary key,
  call_id text not null references public.voice_calls (call_id) on delete cascade,
  speaker text not null check (speaker in ('caller', 'agent')),
  text text not null,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  interrupted boolean not null default false,
  created_at timestamptz not null default now(),
  check (ended_at >= started_at)
);

create index voice_call_transcripts_call_idx
  on public.voice_call_transcripts (call_id, started_at, id);

-- Webhook bodies that could not be parsed or carried an unknown field; kept
-- with the reason so they can be replayed once the parser learns them.
create table public.wa_webhook_receipts (
  id bigserial primary key,
  received_at timestamptz not null default now(),
  field text,
  reason text not null,
  payload jsonb,
  raw text,
  check (payload is not null or raw is not null)
);

create index wa_webhook_receipts_received_at_idx on public.wa_webhook_receipts (received_at desc);

-- Only the service role (which bypasses RLS) may touch these tables: RLS on,
-- and deliberately no policies.
alter table public.voice_calls enable row level security;
alter table public.voice_call_events enable row level security;
alter table public.voice_call_transcripts enable row level security;
alter table public.wa_webhook_receipts enable row level security;

-- Supabase grants the API roles everything on new public tables by default;
-- take it back where those roles exist (plain PostgreSQL and PGlite lack them).
do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format(
        'revoke all on table public.voice_calls, public.voice_call_events, '
        'public.voice_call_transcripts, public.wa_webhook_receipts from %I',
        api_role
      );
      execute format(
        'revoke all on sequence public.voice_call_events_id_seq, '
        'public.voice_call_transcripts_id_seq, public.wa_webhook_receipts_id_seq from %I',
        api_role
      );
      execute format(
        'revoke all on function public.voice_calls_touch_updated_at() from %I',
        api_role
      );
    end if;
  end loop;
end;
$$;
