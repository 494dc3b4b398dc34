-- Revert motovault:mail_outbox_void from pg: void mails become dead (the status before this change
-- for a mail that will never be sent), and the status check loses 'void'.

begin;

set local lock_timeout = '5s';

drop function auth_private.mail_token_is_live(text, jsonb);
update auth_private.mail_outbox set status = 'dead' where status = 'void';
alter table auth_private.mail_outbox
    drop constraint mail_outbox_status_known,
    add constraint mail_outbox_status_known check (status in ('pending', 'running', 'sent', 'dead'));
comment on column auth_private.mail_outbox.status is
    'pending -> running (leased by the notify worker) -> sent, or pending again after a backoff, or dead after the last attempt.';

commit;
