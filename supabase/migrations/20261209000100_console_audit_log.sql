-- Every change made in the operator console (agent settings, ending a call…):
-- who (the Supabase user's id and email), when, what and on what, and the
-- value before and after. Append-only: a trigger refuses updates and deletes,
-- so the log cannot be rewritten through the API or by the console itself.
create table public.console_audit_log (
  id bigserial primary key,
  occurred_at timestamptz not null default now(),
  -- The access token's `sub`; `local-admin` on the embedded console.
  actor_id text not null check (length(actor_id) between 1 and 200),
  actor_email text,
  -- e.g. `agent_settings.update`, `call.end`.
  action text not null check (action ~ '^[a-z][a-z0-9_.]{0,99}$'),
  -- What was changed, e.g. a phone_number_id or a call id.
  target text,
  before jsonb,
  after jsonb
);

create index console_audit_log_recent on public.console_audit_log (occurred_at desc, id desc);
create index console_audit_log_target on public.console_audit_log (target, occurred_at desc, id desc);

comment on table public.console_audit_log is
  'Console changes: who, when, action, target, before and after. Append-only.';

create function public.console_audit_log_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'console_audit_log is append-only (% refused)', tg_op
    using errcode = 'insufficient_privilege';
end;
$$;

create trigger console_audit_log_append_only
  before update or delete on public.console_audit_log
  for each row execute function public.console_audit_log_append_only();

-- Only the service role (which bypasses RLS) may touch it, as for the other tables.
alter table public.console_audit_log enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.console_audit_log from %I', api_role);
      execute format('revoke all on sequence public.console_audit_log_id_seq from %I', api_role);
      execute format(
        'revoke all on function public.console_audit_log_append_only() from %I', api_role
      );
    end if;
  end loop;
end;
$$;
