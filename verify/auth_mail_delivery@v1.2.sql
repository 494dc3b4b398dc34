-- Verify motovault:auth_mail_delivery on pg

select id, status, attempts, next_attempt_at, lease_until, leased_by, last_error from auth_private.mail_outbox where false;
select 'app.auth_mail_claim(integer, text, integer)'::regprocedure, 'app.auth_mail_finish(jsonb, text)'::regprocedure;
