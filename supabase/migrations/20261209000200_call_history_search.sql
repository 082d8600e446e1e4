-- The console's call history (console/pages/history.ts, store/call_history.ts):
-- newest first with keyset pagination, filters by number, status, outcome and
-- words of the transcript, fast with 100,000 calls.

-- The history's order and cursor: (created_at, call_id) descending. call_id
-- breaks ties between calls created in the same microsecond, so a page
-- boundary never skips or repeats a call.
create index voice_calls_history_idx on public.voice_calls (created_at desc, call_id desc);

-- "Calls with this number": the caller's side (from, to) in history order;
-- phone_number_id already has voice_calls_phone_number_id_idx.
create index voice_calls_from_number_idx on public.voice_calls (from_number, created_at desc)
  where from_number is not null;
create index voice_calls_to_number_idx on public.voice_calls (to_number, created_at desc)
  where to_number is not null;

-- Failed and rejected calls are few among many completed ones: a status
-- filter walks this instead of the whole history.
create index voice_calls_status_history_idx
  on public.voice_calls (status, created_at desc, call_id desc);

-- The outcome filter, and the list of outcomes seen (a skip scan over it).
create index voice_call_analysis_outcome_idx on public.voice_call_analysis (outcome)
  where outcome is not null;

-- Words of each call's transcript as one document: to_tsvector('simple', text)
-- of every line, kept by a trigger as lines arrive, with a GIN index.
--
-- Why per call and not an index on the lines: a search asks "which calls",
-- and with one tsvector per call the planner's statistics count calls. Over
-- the lines it counted lines, and a word a call repeats on every line looked
-- six times as common as it was: it walked the history checking thousands
-- of calls' lines (120 ms for a word in 1 % of 100,000 calls) where fetching
-- the few matching calls takes 4 ms. Per call, words said on different lines
-- of one call also match together.
--
-- 'simple' lower-cases and splits without stemming or stop words: the
-- transcript may be in any language, and a name or a product code must be
-- found as spoken.
create table public.voice_call_search (
  call_id text primary key references public.voice_calls (call_id) on delete cascade,
  document tsvector not null
);

comment on table public.voice_call_search is
  'Each call''s transcript words (to_tsvector(''simple'', text) of every line), for the console''s search.';

create index voice_call_search_document_idx on public.voice_call_search using gin (document);

-- Lines are only ever inserted (store.addTranscript), never updated; a call's
-- deletion cascades to both tables.
create function public.voice_call_search_add_line() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into public.voice_call_search (call_id, document)
  values (new.call_id, to_tsvector('simple', new.text))
  on conflict (call_id) do update
    set document = public.voice_call_search.document || excluded.document;
  return null;
end;
$$;

create trigger voice_call_search_add_line
  after insert on public.voice_call_transcripts
  for each row execute function public.voice_call_search_add_line();

-- Calls recorded before this migration.
insert into public.voice_call_search (call_id, document)
select call_id, to_tsvector('simple', string_agg(text, ' ' order by started_at, id))
from public.voice_call_transcripts
group by call_id;

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.voice_call_search enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_search from %I', api_role);
      execute format(
        'revoke all on function public.voice_call_search_add_line() from %I',
        api_role
      );
    end if;
  end loop;
end;
$$;
