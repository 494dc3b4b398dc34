-- Revert motovault:auth_mail_outbox_idx from pg

set lock_timeout = '5s';

drop index concurrently if exists auth_private.mail_outbox_lease_idx;
drop index concurrently if exists auth_private.mail_outbox_due_idx;
