-- Verify motovault:maintenance on pg

select tenant_id, id, vehicle_id, series_id, status, type, completed_on, odometer, due_on, due_odometer, previous_id, read_at, deleted_at
from app.maintenance
where false;
select id from api.maintenance where false;
select id, deleted_at from api.maintenance_trash where false;
select 'api.restore_maintenance(uuid)'::regprocedure,
       'api.complete_maintenance(uuid, date, integer, numeric, text, text, text)'::regprocedure;
