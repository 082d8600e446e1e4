-- Calls placed from the console's "Talk to your agent" page: a signed-in user
-- speaks with a number's agent from the browser, through the same bridge and
-- agent a WhatsApp caller reaches. They are recorded like any other call and
-- marked here, so history, analytics and billing can tell them apart (Meta
-- never saw them: no Graph request is made for them, and they cost no pulses).
--
-- The table keeps its row level security and its revoked API grants
-- (20261124000000_voice_calls.sql): a new column needs nothing more.

alter table public.voice_calls
  add column test_call boolean not null default false;

comment on column public.voice_calls.test_call is
  'True for a call placed from the console''s "Talk to your agent" page (no WhatsApp user, no Meta).';

-- Test calls are few beside real ones: a partial index finds them (or leaves
-- them out) without growing with the real traffic.
create index voice_calls_test_call_idx on public.voice_calls (created_at desc)
  where test_call;
