-- Revert motovault:reminders from pg

begin;

drop view analytics.maintenance_due;
drop view api.reminders_due;
drop function api.restore_reminder(uuid);
drop view api.reminders_trash;
drop function api.projected_due_on(api.reminders);
drop function api.urgency(api.reminders);
drop view api.reminders;
drop function app.due_status(uuid, uuid, date, integer, text, date);
drop function app.daily_km(uuid, uuid, date);
drop function app.urgency_rank(text);
drop function app.urgency(integer, numeric, integer, integer, numeric, numeric);
drop table app.reminders;
drop function app.tg_reminders_snoozed_until_in_range();
drop function app.tg_reminders_next_occurrence();
drop function app.tg_reminders_prepare();

commit;
