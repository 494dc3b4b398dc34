-- Verify motovault:service_hours on pg

select hours, hour_meter, due_hours, recur_hours from app.maintenance where false;
select due_hours, recur_hours, hour_meter from app.reminders where false;
