-- WhatsApp call permissions per business number + user pair, and the events
-- that Meta's limits count (lib/whatsapp/call_permission_decision.ts):
-- permission requests sent (1 per 24 h, 2 per 7 days), replies received,
-- business-initiated calls placed / connected / unanswered (connected calls
-- per 24 h; 4 unanswered in a row and Meta revokes).
-- Source: https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-call-permissions
--
-- A user is keyed by phone number (wa_id) or, for a username user whose
-- number Meta hides, by business-scoped user id (BSUID).
create table public.wa_call_permissions (
  phone_number_id text not null,
  user_key text not null,
  user_kind text not null check (user_kind in ('wa_id', 'user_id')),
  status text not null default 'no_permission' check (
    status in ('no_permission', 'temporary', 'permanent', 'revoked', 'declined')
  ),
  -- Temporary only. Meta sends no webhook when it lapses: readers compare it with now().
  expires_at timestamptz,
  -- user_action / automatic (webhook), graph (GET call_permissions).
  source text,
  -- When the fact behind status happened (a reply's timestamp): an older
  -- reply redelivered late never overwrites a newer one.
  status_at timestamptz,
  -- Graph's start_call max_allowed, when last read: the connected-call limit in force.
  connected_call_limit integer check (connected_call_limit >= 0),
  call_limit_reset_at timestamptz,
  graph_synced_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (phone_number_id, user_key)
);

create table public.wa_call_permission_events (
  id bigserial primary key,
  phone_number_id text not null,
  user_key text not null,
  kind text not null check (
    kind in ('request', 'reply', 'call_placed', 'call_connected', 'call_unanswered')
  ),
  occurred_at timestamptz not null default now(),
  -- request: pending until Graph answered; sent / failed (Meta refused, it
  -- does not count) / unknown (no answer: counted, Meta may have sent it).
  request_status text check (request_status in ('pending', 'sent', 'failed', 'unknown')),
  -- request: our wamid; reply: the reply's wamid.
  message_id text,
  -- reply: the wamid of our request or the wacid of the user's call.
  context_id text,
  -- call_*: the wacid.
  call_id text,
  idempotency_key text,
  -- request: hash of the API body, so a reused key with another body is refused.
  request_hash text,
  -- request: the API answer replayed for a retried key.
  response jsonb,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  check ((kind = 'request') = (request_status is not null))
);

create unique index wa_call_permission_events_idempotency
  on public.wa_call_permission_events (phone_number_id, idempotency_key)
  where idempotency_key is not null;
-- Meta redelivers webhooks: a reply applies once.
create unique index wa_call_permission_events_reply
  on public.wa_call_permission_events (message_id)
  where kind = 'reply';
-- A call outcome counts once, however often its webhook arrives.
create unique index wa_call_permission_events_call
  on public.wa_call_permission_events (call_id, kind)
  where call_id is not null;
create index wa_call_permission_events_pair
  on public.wa_call_permission_events (phone_number_id, user_key, occurred_at);

comment on table public.wa_call_permissions is
  'Call permission per business number and WhatsApp user (number or BSUID); expires_at is computed, Meta sends no expiry webhook.';
comment on table public.wa_call_permission_events is
  'Permission requests, replies and business-initiated call outcomes, counted against Meta''s limits.';

-- Only the service role (which bypasses RLS) may touch them, as for the other tables.
alter table public.wa_call_permissions enable row level security;
alter table public.wa_call_permission_events enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.wa_call_permissions from %I', api_role);
      execute format('revoke all on table public.wa_call_permission_events from %I', api_role);
      execute format(
        'revoke all on sequence public.wa_call_permission_events_id_seq from %I', api_role
      );
    end if;
  end loop;
end;
$$;
