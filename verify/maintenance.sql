-- Verify motovault:maintenance on pg

select tenant_id, id, vehicle_id, series_id, status, type, description, completed_on, odometer, odometer_unit,
       cost, currency, service_location, notes, due_on, due_odometer, recur_months, recur_distance, previous_id,
       read_at, created_at, updated_at, created_by, updated_by, deleted_at
from app.maintenance
where false;
select id from api.maintenance where false;
select id, deleted_at from api.maintenance_trash where false;
select 'api.complete_maintenance(uuid, date, integer, numeric, text, text, text)'::regprocedure;
select 'api.restore_maintenance(uuid)'::regprocedure;
select 1 / (position('app.maintenance' in pg_get_viewdef('app.odometer_readings'::regclass)) > 0)::int;
