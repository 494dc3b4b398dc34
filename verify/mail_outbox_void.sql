-- Verify motovault:mail_outbox_void on pg

select 'auth_private.mail_token_is_live(text, jsonb)'::regprocedure;
select 1 / count(*)
from pg_constraint
where conname = 'mail_outbox_status_known'
  and pg_get_constraintdef(oid) like '%void%';
