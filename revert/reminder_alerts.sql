-- Revert motovault:reminder_alerts from pg

begin;

drop function app.notify_evaluate_reminders(timestamptz);
drop table app.reminder_alerts;

commit;
