-- The customer service window per business number + user: the time of the
-- user's latest inbound message, recorded by wa-webhook-core from every
-- `messages` webhook. An interactive (free-form) call permission request
-- outside the 24 h window earns Meta's 131047, so wa-call-permissions refuses
-- it first. Source:
-- https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows
-- The table already has RLS on and no grants to anon/authenticated.
alter table public.wa_call_permissions
  add column if not exists last_user_message_at timestamptz;
