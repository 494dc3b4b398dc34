-- Verify motovault:event_read_plans on pg

select has_function_privilege('app.ensure_vehicle_event_statistics()', 'execute');

-- every partition has its "vehicle implies tenant" statistics
select 1 / (count(*) = 0)::int
from pg_inherits as i
where i.inhparent = 'app.vehicle_events'::regclass
  and not exists (
      select from pg_statistic_ext as s
      where s.stxrelid = i.inhrelid
        and s.stxname like '%\_vehicle\_implies\_tenant'
        and s.stxkind = '{f}'
  );

select 1 / (pg_get_functiondef('app.ensure_vehicle_event_partitions(date, integer)'::regprocedure)
            like '%app.ensure_vehicle_event_statistics()%')::int;

select 1 / (pg_get_functiondef('api.vehicle_timeline(uuid, timestamptz, timestamptz, boolean, timestamptz, uuid)'::regprocedure)
            like '%e.id <> all (array(%')::int;

select 1 / (pg_get_viewdef('api.fleet_overview'::regclass) like '%recent.events = 0%')::int;
