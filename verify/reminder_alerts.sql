-- Verify motovault:reminder_alerts on pg

select tenant_id, reminder_id, state, armed_by, event_id from app.reminder_alerts where false;
select 'app.notify_evaluate_reminders(timestamptz)'::regprocedure;
