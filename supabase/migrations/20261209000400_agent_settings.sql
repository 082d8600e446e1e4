-- Agent settings per WhatsApp business number (phone_number_id), edited in
-- the console and read by the bridge when a call's session is created. The
-- settings are JSON validated by lib/agent_settings/schema.ts on every write
-- and read; a field left out falls back to the bridge's environment.
-- `version` is the optimistic lock: a save names the version it edited and
-- fails when another save came first.
create table public.agent_settings (
  phone_number_id text primary key,
  settings jsonb not null default '{}'::jsonb,
  version integer not null check (version >= 1),
  updated_at timestamptz not null default now(),
  -- The console user (token `sub`, or e-mail) who saved this version.
  updated_by text
);

-- Every version ever saved, the current one included, for the console's
-- history (who, when, what changed).
create table public.agent_settings_history (
  phone_number_id text not null,
  version integer not null check (version >= 1),
  settings jsonb not null,
  changed_by text,
  changed_at timestamptz not null default now(),
  primary key (phone_number_id, version)
);

comment on table public.agent_settings is
  'Per-number agent settings (instructions, greeting, voice, call hours, ...); unset fields fall back to the bridge environment.';
comment on table public.agent_settings_history is
  'Every saved version of agent_settings, newest version highest.';

-- Only the service role (which bypasses RLS) may touch them, as for the other tables.
alter table public.agent_settings enable row level security;
alter table public.agent_settings_history enable row level security;

do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    if exists (select from pg_catalog.pg_roles where rolname = api_role) then
      execute format('revoke all on table public.agent_settings from %I', api_role);
      execute format('revoke all on table public.agent_settings_history from %I', api_role);
    end if;
  end loop;
end;
$$;
