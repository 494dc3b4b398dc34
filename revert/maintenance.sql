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
select tenant_id, vehicle_id, 'fuel_logs'::text as source, id, read_at, odometer, odometer_unit,
       app.distance_in_km(odometer, odometer_unit) as odometer_km, false as is_reset
from app.fuel_logs
where deleted_at is null
union all
select tenant_id, vehicle_id, 'odometer_entries'::text, id, read_at, odometer, odometer_unit,
       app.distance_in_km(odometer, odometer_unit), kind = 'reset'
from app.odometer_entries
where deleted_at is null;

drop table app.maintenance;
drop function app.maintenance_next_occurrence();
drop function app.maintenance_prepare();

commit;
