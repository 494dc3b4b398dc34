-- Verify motovault:reminders on pg

select tenant_id, id, vehicle_id, title, category, due_on, due_odometer, due_hours, recur_hours, hour_meter, status, deleted_at
from app.reminders
where false;
select id, due_hours, recur_hours, hour_meter from api.reminders where false;
select id, deleted_at from api.reminders_trash where false;
select source, id, urgency, hours_left from api.reminders_due where false;
select 'api.hours_left(api.reminders)'::regprocedure, 'app.hours_due_status(uuid, uuid, numeric, text, date)'::regprocedure;
