-- Verify motovault:vehicle_events on pg

select tenant_id, id, vehicle_id, type, occurred_at, odometer, odometer_unit, payload, voids_event_id, source_id
from app.vehicle_events
where false;
select tenant_id, voided_event_id, voiding_event_id from app.vehicle_event_voids where false;
select id, voided_by_event_id from api.vehicle_events where false;
select 'app.ensure_vehicle_event_partitions(date, integer)'::regprocedure,
       'app.ensure_vehicle_event_statistics()'::regprocedure;
-- this month has its partition, and every partition its statistics
select 1 / count(*)::integer
from pg_inherits
where inhparent = 'app.vehicle_events'::regclass
  and inhrelid = to_regclass(format('app.vehicle_events_p%s', to_char(current_date, 'YYYY_MM')));
select 1 / (count(*) = 0)::integer
from pg_inherits as i
where i.inhparent = 'app.vehicle_events'::regclass
  and not exists (select from pg_statistic_ext as s where s.stxrelid = i.inhrelid);
select 1 / count(*)::integer from pg_trigger where tgname = '_100_id_unique' and tgrelid = 'app.vehicle_events'::regclass;
