-- Revert motovault:auth_events from pg

begin;

drop view api.auth_events;
drop function auth_private.record_event(text, uuid, uuid, uuid, jsonb);
revoke select on audit.auth_events from app_user;
drop table audit.auth_events;

commit;
