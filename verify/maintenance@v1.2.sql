-- Verify motovault:maintenance on pg

select tenant_id, id, vehicle_id, series_id, status, type, due_on, due_odometer, recur_months, recur_distance, deleted_at
from app.maintenance
where false;
select id, hours, hour_meter, due_hours, recur_hours from api.maintenance where false;
select id, deleted_at from api.maintenance_trash where false;
select 'api.complete_maintenance(uuid, date, integer, numeric, text, text, text)'::regprocedure;
