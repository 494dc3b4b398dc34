-- Revert motovault:auth_mail_delivery from pg

begin;

set local lock_timeout = '5s';

drop function app.auth_mail_finish(jsonb, text);
drop function app.auth_mail_claim(integer, text, integer);
drop trigger mail_outbox_wake on auth_private.mail_outbox;
drop function auth_private.mail_outbox_wake();
alter table auth_private.mail_outbox
    drop column status,
    drop column attempts,
    drop column next_attempt_at,
    drop column lease_until,
    drop column leased_by,
    drop column last_error;

commit;
