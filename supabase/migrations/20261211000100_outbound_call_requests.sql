-- Business-initiated call requests (issue 17), keyed by the client's
-- Idempotency-Key: a retried request replays the first answer and never
-- rings the customer twice (Meta documents no idempotency for `connect`:
-- https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/troubleshooting,
-- a repeat only earns 138003 once the first call rings).
create table public.wa_outbound_call_requests (
  id bigserial primary key,
  phone_number_id text not null,
  idempotency_key text not null,
  -- Hash of the request body: the same key with another body is refused.
  request_hash text not null,
  -- The user called: phone number or business-scoped user id.
  user_key text not null,
  -- pending: being placed; placed: Graph connect answered with a call id;
  -- refused: refused before Graph (permission, limits); failed: Meta refused
  -- or the bridge failed; unknown: Graph never answered (never resent).
  status text not null default 'pending' check (
    status in ('pending', 'placed', 'refused', 'failed', 'unknown')
  ),
  call_id text,
  -- The API answer replayed for a retried key.
  response jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create unique index wa_outbound_call_requests_key
  on public.wa_outbound_call_requests (phone_number_id, idempotency_key);
create index wa_outbound_call_requests_call
  on public.wa_outbound_call_requests (call_id) where call_id is not null;

comment on table public.wa_outbound_call_requests is
  'Business-initiated call requests by Idempotency-Key: each key places at most one Graph connect.';

alter table public.wa_outbound_call_requests enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.wa_outbound_call_requests from %I', api_role);
      execute format(
        'revoke all on sequence public.wa_outbound_call_requests_id_seq from %I', api_role
      );
    end if;
  end loop;
end;
$$;
