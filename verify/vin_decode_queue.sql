-- Verify motovault:vin_decode_queue on pg

select id, vin, status, attempts, next_attempt_at, lease_until, leased_by, last_error, created_at, updated_at, done_at
from app.vin_decode_queue
where false;
select 'app.vin_enqueue(text)'::regprocedure,
       'app.vehicle_decode_vin(app.vehicles)'::regprocedure,
       'app.vehicles_vin_decode()'::regprocedure,
       'app.vin_decode_claim(integer, text, integer)'::regprocedure,
       'app.vin_decode_finish(bigint[], text)'::regprocedure,
       'app.vin_decode_fail(bigint[], text, text)'::regprocedure,
       'app.purge_vin_decode_jobs(integer)'::regprocedure,
       'app.vin_decode_result'::regtype;
select 1 / count(*) from pg_trigger where tgname = 'vehicles_vin_decode' and tgrelid = 'app.vehicles'::regclass;
