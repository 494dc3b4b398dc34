-- Verify motovault:reminders on pg

select tenant_id, id, reminder_urgent_days, reminder_very_urgent_days, reminder_urgent_km, reminder_very_urgent_km,
       created_at, updated_at, created_by, updated_by, deleted_at
from app.tenant_settings
where false;
select tenant_id, id, vehicle_id, title, category, notes, due_on, due_odometer, odometer_unit,
       recur_months, recur_distance, status, snoozed_until, dedupe_key, previous_id,
       created_at, updated_at, created_by, updated_by, deleted_at
from app.reminders
where false;
select id from api.reminders where false;
select id, deleted_at from api.reminders_trash where false;
select id, urgency from api.reminders_due where false;
select id from api.tenant_settings where false;
select 'app.due_status(uuid, uuid, date, integer, text, date)'::regprocedure;
select 'api.urgency(api.reminders)'::regprocedure;
select 'api.restore_reminder(uuid)'::regprocedure;
