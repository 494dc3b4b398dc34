-- Deploy motovault:mail_outbox_void_checks to pg
-- requires: mail_outbox_void
--
-- Validates the status check of auth_private.mail_outbox that mail_outbox_void added NOT VALID.

begin;

set local lock_timeout = '5s';

alter table auth_private.mail_outbox validate constraint mail_outbox_status_known;

commit;
