-- Deploy motovault:auth_mail_outbox_checks to pg
-- requires: auth_mail_delivery
--
-- Validates the checks of auth_private.mail_outbox that auth_mail_delivery added NOT VALID.

begin;

set local lock_timeout = '5s';

alter table auth_private.mail_outbox validate constraint mail_outbox_status_known;
alter table auth_private.mail_outbox validate constraint mail_outbox_attempts_not_negative;
alter table auth_private.mail_outbox validate constraint mail_outbox_status_running_has_lease;
alter table auth_private.mail_outbox validate constraint mail_outbox_sent_at_iff_sent;

commit;
