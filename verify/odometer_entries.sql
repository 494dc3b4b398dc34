-- Verify motovault:odometer_entries on pg

select tenant_id, id, vehicle_id, kind, read_on, read_time, odometer, odometer_unit, notes, read_at, deleted_at
from app.odometer_entries
where false;
select id from api.odometer_entries where false;
select id, deleted_at from api.odometer_entries_trash where false;
select 'api.restore_odometer_entry(uuid)'::regprocedure;
