-- Verify motovault:vin_decode_queue on pg

select id, vin, status, attempts, next_attempt_at, lease_until, leased_by, last_error, done_at from app.vin_decode_queue where false;
select 'app.vin_decode_claim(integer, text, integer)'::regprocedure, 'app.vin_decode_finish(bigint[], text)'::regprocedure,
       'app.vin_decode_fail(bigint[], text, text)'::regprocedure, 'app.vin_enqueue(text)'::regprocedure;
select 1 / count(*)::integer from pg_trigger where tgrelid = 'app.vehicles'::regclass and tgname = '_600_vin_decode';
