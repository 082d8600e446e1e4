-- Callers known by a username, the context they called from, and how Meta
-- said a call ended.
--
-- Since WhatsApp usernames (2026) a caller may come without a phone number:
-- Meta then names them by a business-scoped user id (BSUID, e.g.
-- 'BR.1502576394655843') in `from_user_id` / `to_user_id`, beside the number
-- columns it complements (either or both may be null; the call id is the key).
-- https://developers.facebook.com/documentation/business-messaging/whatsapp/calling/user-initiated-calls

alter table public.voice_calls
  add column from_user_id text,
  add column to_user_id text,
  add column username text,
  add column profile_name text,
  add column cta_payload text,
  add column deeplink_payload text,
  add column biz_opaque_callback_data text,
  add column meta_status text,
  add column meta_error_codes integer[];

comment on column public.voice_calls.from_user_id is
  'Meta''s from_user_id: the caller''s BSUID on user-initiated calls.';
comment on column public.voice_calls.to_user_id is
  'Meta''s to_user_id: the callee''s BSUID on business-initiated calls.';
comment on column public.voice_calls.username is
  'The WhatsApp user''s username (contacts[].profile.username), when they have one.';
comment on column public.voice_calls.profile_name is
  'The WhatsApp user''s profile name (contacts[].profile.name).';
comment on column public.voice_calls.cta_payload is
  'payload of the call button the caller pressed, as received.';
comment on column public.voice_calls.deeplink_payload is
  'biz_payload of the wa.me/call link the caller used, as received.';
comment on column public.voice_calls.biz_opaque_callback_data is
  'biz_opaque_callback_data Meta echoed on the call (at most 512 characters at Meta).';
comment on column public.voice_calls.meta_status is
  'The terminate webhook''s status exactly as Meta sent it (e.g. COMPLETED, Failed).';
comment on column public.voice_calls.meta_error_codes is
  'Every error code of the terminate webhook (call object and value.errors), in order.';

-- "Which calls did this user make?" without a number to search by.
create index voice_calls_from_user_id_idx on public.voice_calls (from_user_id, created_at desc)
  where from_user_id is not null;
