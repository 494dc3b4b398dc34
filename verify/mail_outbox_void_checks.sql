-- Verify motovault:mail_outbox_void_checks on pg

select 1 / count(*)
from pg_constraint
where conrelid = 'auth_private.mail_outbox'::regclass
  and conname = 'mail_outbox_status_known'
  and convalidated;
