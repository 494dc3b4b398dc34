-- Verify motovault:odometer_guard on pg

select 'app.tg_odometer_guard()'::regprocedure, 'app.odometer_problem(uuid, uuid)'::regprocedure;
select 1 / (count(*) = 3)::integer
from pg_trigger
where tgfoid = 'app.tg_odometer_guard()'::regprocedure
  and tgrelid in ('app.fuel_logs'::regclass, 'app.odometer_entries'::regclass, 'app.maintenance'::regclass);
