-- Revert motovault:notify_deliveries from pg

begin;

drop function api.replay_delivery(uuid);
drop view api.notify_deliveries;
drop function app.notify_finish(jsonb, text);
drop function app.notify_claim(integer, text, integer);
drop function app.notify_dispatch(integer);
drop function app.notify_setting(text, numeric);
drop table app.notify_deliveries;
revoke select on app.outbox_events from app_user;

commit;
