-- Where each call's recording is, and the durable queue of uploads to object
-- storage. The bridge renders a recording to local disk first; with S3
-- configured it uploads it and, until that succeeds, the row keeps the file
-- on disk and says when to try again (next_attempt_at), so a recording that
-- cannot be uploaded is never lost, even across a bridge restart.
--
-- Like voice_call_events there is no foreign key: a recording must never be
-- lost to a call row written late.
create table public.voice_call_recordings (
  call_id text primary key,
  -- Where the file is now: the bridge's RECORDINGS_DIR, or the S3 bucket.
  location text not null check (location in ('local', 's3')),
  -- The file name in RECORDINGS_DIR, or the object key in the bucket.
  key text not null,
  bytes bigint not null check (bytes >= 0),
  duration_ms integer check (duration_ms >= 0),
  created_at timestamptz not null default now(),
  uploaded_at timestamptz,
  -- Failed upload attempts so far, and the last failure (never a credential).
  attempts integer not null default 0 check (attempts >= 0),
  last_error text,
  -- Set while an upload is pending: when to try next. Null: nothing to do.
  next_attempt_at timestamptz,
  -- When the retention sweep deleted the file (the row stays as a record).
  deleted_at timestamptz
);

create index voice_call_recordings_pending
  on public.voice_call_recordings (next_attempt_at) where next_attempt_at is not null;

comment on table public.voice_call_recordings is
  'Each call''s recording (Meta''s wacid): where it is stored and its pending upload.';

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.voice_call_recordings enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.voice_call_recordings from %I', api_role);
    end if;
  end loop;
end;
$$;
