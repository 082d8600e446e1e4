-- What the post-call analysis made of each call: one request to an OpenAI
-- text model after the hang-up (bridge/analysis/) returns a summary, an
-- outcome from the operator's list (ANALYSIS_OUTCOMES) and the fields of the
-- operator's JSON schema (ANALYSIS_FIELDS).
--
-- status says whether the row holds a model's answer:
--   analysed      summary/outcome/fields are set (model null when no request was
--                 needed: nobody spoke, so the outcome is `abandoned` by rule);
--   not_analysed  no request was made (no OPENAI_API_KEY, the echo agent);
--   failed        the request or its answer failed; reason says why.
-- Never a reason for the call itself to fail. Like voice_call_usage there is no
-- foreign key: the analysis must never be lost to a call row written late.
create table public.voice_call_analysis (
  call_id text primary key,
  status text not null check (status in ('analysed', 'not_analysed', 'failed')),
  reason text,
  summary text,
  outcome text,
  fields jsonb,
  model text,
  -- The request's usage as OpenAI reported it (Responses API `usage`).
  input_tokens bigint check (input_tokens >= 0),
  input_cached_tokens bigint check (input_cached_tokens >= 0),
  output_tokens bigint check (output_tokens >= 0),
  output_reasoning_tokens bigint check (output_reasoning_tokens >= 0),
  -- Requests sent, retries included (0 when none was needed).
  attempts integer not null default 0 check (attempts >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

comment on table public.voice_call_analysis is
  'Post-call summary, outcome and extracted fields per call (Meta''s wacid).';

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.voice_call_analysis enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_analysis from %I', api_role);
    end if;
  end loop;
end;
$$;
