-- Verify motovault:reminders on pg

select tenant_id, id, vehicle_id, title, category, due_on, due_odometer, status, snoozed_until, dedupe_key, previous_id, deleted_at
from app.reminders
where false;
select id from api.reminders where false;
select id, deleted_at from api.reminders_trash where false;
select source, id, urgency from api.reminders_due where false;
select tenant_id, vehicle_id, urgency from analytics.maintenance_due where false;
select 'api.urgency(api.reminders)'::regprocedure, 'api.projected_due_on(api.reminders)'::regprocedure;
