-- Revert motovault:maintenance_hours_guard from pg

begin;

drop trigger _100_hours_guard_insert on app.maintenance;
drop trigger _100_hours_guard_update on app.maintenance;
drop trigger _110_hours_records_guard_insert on app.hour_readings;
drop trigger _110_hours_records_guard_update on app.hour_readings;
drop function app.tg_hour_records_guard();
drop function app.hour_records_problem(uuid, jsonb, jsonb, text);
drop view api.hour_meter_readings;
drop view app.hour_meter_readings;

commit;
