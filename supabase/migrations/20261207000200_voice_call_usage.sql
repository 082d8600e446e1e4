-- What OpenAI billed for each call, per model: the realtime model's tokens by
-- kind (text, audio, cached) from every response.done, and the caller
-- transcription model's tokens or audio seconds. A cost per call is the sum,
-- over a call's rows, of each counter times the model's price.
--
-- The bridge adds each response's usage as it arrives, so a call that ends
-- abruptly keeps what was reported until then. Like voice_call_events there
-- is no foreign key: usage must never be lost to a call row written late.
create table public.voice_call_usage (
  call_id text not null,
  model text not null,
  -- Responses (realtime model) or transcriptions (transcription model) counted.
  requests integer not null default 0 check (requests >= 0),
  input_tokens bigint not null default 0 check (input_tokens >= 0),
  input_text_tokens bigint not null default 0 check (input_text_tokens >= 0),
  input_audio_tokens bigint not null default 0 check (input_audio_tokens >= 0),
  -- A subset of input_tokens, billed at the cached rate.
  input_cached_tokens bigint not null default 0 check (input_cached_tokens >= 0),
  input_cached_text_tokens bigint not null default 0 check (input_cached_text_tokens >= 0),
  input_cached_audio_tokens bigint not null default 0 check (input_cached_audio_tokens >= 0),
  output_tokens bigint not null default 0 check (output_tokens >= 0),
  output_text_tokens bigint not null default 0 check (output_text_tokens >= 0),
  output_audio_tokens bigint not null default 0 check (output_audio_tokens >= 0),
  -- Caller audio transcribed by a model billed per duration.
  audio_seconds double precision not null default 0 check (audio_seconds >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (call_id, model)
);

comment on table public.voice_call_usage is
  'OpenAI usage per call (Meta''s wacid) and model, summed as the bridge reports it.';

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.voice_call_usage enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_usage from %I', api_role);
    end if;
  end loop;
end;
$$;
