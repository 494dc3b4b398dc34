-- Deploy motovault:auth_mail_outbox_idx to pg
-- requires: auth_mail_delivery
--
-- The indexes app.auth_mail_claim uses (due pending mails, expired leases), built concurrently on the
-- existing auth_private.mail_outbox: a change of its own, without a transaction.

set lock_timeout = '5s';

drop index concurrently if exists auth_private.mail_outbox_due_idx;
create index concurrently if not exists mail_outbox_due_idx
    on auth_private.mail_outbox (next_attempt_at) where status = 'pending';
drop index concurrently if exists auth_private.mail_outbox_lease_idx;
create index concurrently if not exists mail_outbox_lease_idx
    on auth_private.mail_outbox (lease_until) where status = 'running';
