-- Revert motovault:hour_readings from pg

begin;

drop view api.hour_meters;
drop function api.restore_hour_reading(uuid);
drop view api.hour_readings_trash;
drop view api.hour_readings;
drop table app.hour_readings;
drop function app.daily_hours(uuid, uuid, text, date);
drop function app.latest_hours(uuid, uuid, text);
drop function app.tg_hour_readings_guard();
drop function app.hour_meter_problem(uuid, uuid, text, timestamp, timestamp);

commit;
