-- Revert motovault:maintenance from pg

begin;

drop function api.complete_maintenance(uuid, date, integer, numeric, text, text, text);
drop function api.restore_maintenance(uuid);
drop view api.maintenance_trash;
drop view api.maintenance;

-- app.odometer_readings as the odometer change defined it
create or replace view app.odometer_readings
with (security_invoker = true)
as
-- The UNION ALL branches have no WHERE clause of their own, so the planner flattens them into one
-- append relation: the filters below are pushed into every branch (matching the partial indexes),
-- and max(read_at) / ORDER BY read_at LIMIT 1 become a Merge Append of backward index scans.
select r.tenant_id, r.vehicle_id, r.source, r.id, r.read_at, r.odometer, r.odometer_unit, r.odometer_km, r.is_reset
from (
    select tenant_id, vehicle_id, 'fuel_logs'::text as source, id, read_at, odometer, odometer_unit,
           app.distance_in_km(odometer, odometer_unit) as odometer_km, false as is_reset, deleted_at
    from app.fuel_logs
    union all
    select tenant_id, vehicle_id, 'odometer_entries'::text, id, read_at, odometer, odometer_unit,
           app.distance_in_km(odometer, odometer_unit), kind = 'reset', deleted_at
    from app.odometer_entries
) as r
where r.deleted_at is null
  and r.read_at is not null
  and r.odometer is not null;

drop table app.maintenance;
drop function app.maintenance_next_occurrence();
drop function app.maintenance_prepare();

commit;
