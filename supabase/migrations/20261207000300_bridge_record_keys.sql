-- Keys that make the bridge's records safe to write twice. During a database
-- outage the bridge keeps its writes in an outbox and replays them once the
-- database is back; a write that timed out yet landed is then made again.
--
-- A transcript line carries the id the bridge gave it: a second insert with
-- the same id is ignored. Lines written without one (null) never conflict.
alter table public.voice_call_transcripts add column line_id text;

create unique index voice_call_transcripts_line_id_key
  on public.voice_call_transcripts (line_id);

-- Usage is summed per call and model, so a replayed report would count twice:
-- each row keeps the ids of the reports added to it, and a report whose id is
-- already there adds nothing. A few dozen ids per call and model.
alter table public.voice_call_usage
  add column report_ids text[] not null default '{}';
