-- Verify motovault:odometer on pg

select tenant_id, id, vehicle_id, kind, read_on, read_time, odometer, odometer_unit, notes, read_at,
       created_at, updated_at, created_by, updated_by, deleted_at
from app.odometer_entries
where false;
select tenant_id, vehicle_id, source, id, read_at, odometer, odometer_unit, odometer_km, is_reset
from app.odometer_readings
where false;
select id from api.odometer_entries where false;
select id, deleted_at from api.odometer_entries_trash where false;
select id from api.odometer_readings where false;
select 'app.odometer_guard()'::regprocedure;
select 'app.odometer_problem(uuid, uuid)'::regprocedure;
select 'api.restore_odometer_entry(uuid)'::regprocedure;
