-- Campaigns and callbacks (issue 17): business-initiated calls queued in
-- Postgres so that several bridges, or a bridge restarted mid-campaign, never
-- call anyone twice. Dialers claim due recipients with `FOR UPDATE SKIP
-- LOCKED` under a lease; the campaign row lock makes the in-flight count (the
-- concurrency limit, across all bridges) exact. Each placement has its own
-- Idempotency-Key for wa-outbound-calls, so a dialer resuming an expired lease
-- replays the first call instead of ringing the user again.
create table public.wa_campaigns (
  id bigserial primary key,
  phone_number_id text not null,
  -- campaign: recipients given by the API; callbacks: one per number, filled
  -- when a caller's call was missed, refused for capacity or outside hours.
  kind text not null default 'campaign' check (kind in ('campaign', 'callbacks')),
  name text not null,
  idempotency_key text,
  request_hash text,
  status text not null default 'active' check (
    status in ('active', 'paused', 'cancelled', 'completed')
  ),
  -- Call hours (lib/agent_settings CallHours: IANA time zone, weekly, holidays); null: any time.
  call_window jsonb,
  max_concurrent integer not null default 1 check (max_concurrent between 1 and 1000),
  max_attempts integer not null default 1 check (max_attempts between 1 and 10),
  retry_delay_s integer not null default 3600 check (retry_delay_s between 0 and 604800),
  -- Outcomes that are retried while attempts remain.
  retry_on jsonb not null default '["no_answer","rejected"]'::jsonb,
  -- The call's purpose (instructions, greeting) with {{variables}}.
  purpose jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create unique index wa_campaigns_key on public.wa_campaigns (phone_number_id, idempotency_key)
  where idempotency_key is not null;
create unique index wa_campaigns_callbacks on public.wa_campaigns (phone_number_id)
  where kind = 'callbacks';

create table public.wa_campaign_recipients (
  id bigserial primary key,
  campaign_id bigint not null references public.wa_campaigns (id) on delete cascade,
  user_key text not null,
  variables jsonb not null default '{}'::jsonb,
  -- Callbacks: the call that was missed; one callback per call.
  origin_call_id text,
  origin_reason text,
  -- queued: waits for next_attempt_at; dialing: a dialer holds the lease; done: outcome final.
  status text not null default 'queued' check (status in ('queued', 'dialing', 'done')),
  outcome text check (
    outcome in ('answered', 'no_answer', 'rejected', 'no_permission', 'failed', 'cancelled')
  ),
  -- Attempts that count against max_attempts.
  attempts integer not null default 0,
  -- Placements (claims from queued): each gets its own Idempotency-Key.
  dial_seq integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  lease_owner text,
  lease_until timestamptz,
  call_id text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create unique index wa_campaign_recipients_user on public.wa_campaign_recipients
  (campaign_id, user_key) where origin_call_id is null;
create unique index wa_campaign_recipients_origin on public.wa_campaign_recipients (origin_call_id)
  where origin_call_id is not null;
create index wa_campaign_recipients_due on public.wa_campaign_recipients
  (campaign_id, status, next_attempt_at);

create table public.wa_campaign_attempts (
  recipient_id bigint not null references public.wa_campaign_recipients (id) on delete cascade,
  dial_seq integer not null,
  attempt integer not null,
  idempotency_key text not null,
  dialer text not null,
  call_id text,
  outcome text,
  detail text,
  started_at timestamptz not null,
  ended_at timestamptz,
  primary key (recipient_id, dial_seq)
);

comment on table public.wa_campaigns is
  'Call campaigns and per-number callback lists: window, concurrency, retry policy, purpose.';
comment on table public.wa_campaign_recipients is
  'Recipients queued for dialers (FOR UPDATE SKIP LOCKED + lease), each outcome kept.';
comment on table public.wa_campaign_attempts is
  'Every placement of a campaign or callback call, by recipient and placement number.';

alter table public.wa_campaigns enable row level security;
alter table public.wa_campaign_recipients enable row level security;
alter table public.wa_campaign_attempts enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.wa_campaigns from %I', api_role);
      execute format('revoke all on table public.wa_campaign_recipients from %I', api_role);
      execute format('revoke all on table public.wa_campaign_attempts from %I', api_role);
      execute format('revoke all on sequence public.wa_campaigns_id_seq from %I', api_role);
      execute format(
        'revoke all on sequence public.wa_campaign_recipients_id_seq from %I', api_role
      );
    end if;
  end loop;
end;
$$;
