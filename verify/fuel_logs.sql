-- Verify motovault:fuel_logs on pg

select tenant_id, id, vehicle_id, filled_on, filled_time, odometer, odometer_unit, fuel_type, grade, volume, volume_unit,
       price_per_unit, total_cost, currency, is_full, missed_previous, station_id, station_name, notes, read_at, energy_kind, deleted_at
from app.fuel_logs
where false;
select id from api.fuel_logs where false;
select id, deleted_at from api.fuel_logs_trash where false;
select 'api.restore_fuel_log(uuid)'::regprocedure;
select source_id from api.fuel_logs where false;
select source_id from api.fuel_logs_trash where false;
