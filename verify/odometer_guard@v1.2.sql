-- Verify motovault:odometer_guard on pg

select 'app.tg_odometer_guard()'::regprocedure, 'app.odometer_problem(uuid, uuid)'::regprocedure;
select 1 / (count(*) = 6)::integer
from pg_trigger
where tgfoid = 'app.tg_odometer_guard()'::regprocedure
  and tgrelid in ('app.fuel_logs'::regclass, 'app.odometer_entries'::regclass, 'app.maintenance'::regclass);
select 'app.odometer_batch_problem(uuid, text, jsonb)'::regprocedure, 'app.sync_vehicle_odometers(uuid, uuid[])'::regprocedure;
select 1 / count(*)::integer from pg_trigger where tgname = '_100_odometer_guard_insert' and tgrelid = 'app.fuel_logs'::regclass;
