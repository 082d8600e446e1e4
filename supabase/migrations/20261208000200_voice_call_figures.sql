-- What each call cost and how fast the agent answered, settled once the call
-- has ended (bridge/figures/settle.ts; settling again replaces the row).
--
-- cost: the breakdown (OpenAI per model and kind, Meta's pulses), USD.
-- latency: each turn's latency (caller's end of speech → first agent audio
-- frame on the wire), and the set-up figures webhook → accept and
-- accept → first agent audio. The scalar columns repeat the headline figures
-- so they can be queried without unpacking the JSON.
create table public.voice_call_figures (
  call_id text primary key,
  cost_usd double precision not null check (cost_usd >= 0),
  cost jsonb not null,
  turn_count integer not null check (turn_count >= 0),
  turn_p50_ms double precision,
  turn_p95_ms double precision,
  webhook_to_accept_ms double precision,
  accept_to_first_audio_ms double precision,
  latency jsonb not null,
  settled_at timestamptz not null default now()
);

comment on table public.voice_call_figures is
  'Cost and latency per call (Meta''s wacid), settled after the call ended.';

alter table public.voice_call_figures enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_figures from %I', api_role);
    end if;
  end loop;
end;
$$;
