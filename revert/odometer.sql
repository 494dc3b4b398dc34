-- Revert motovault:odometer from pg

begin;

drop view api.odometer_readings;
drop function api.restore_odometer_entry(uuid);
drop view api.odometer_entries_trash;
drop view api.odometer_entries;
drop trigger vehicles_odometer_from_readings on app.vehicles;
drop function app.vehicles_odometer_from_readings();
drop trigger fuel_logs_odometer on app.fuel_logs;
drop trigger odometer_entries_odometer on app.odometer_entries;
drop function app.odometer_guard();
drop function app.sync_vehicle_odometer(uuid, uuid, timestamp);
drop function app.odometer_problem(uuid, uuid);
drop view app.odometer_readings;
drop table app.odometer_entries;
drop function app.odometer_entries_prepare();
drop function app.vehicle_odometer_unit(uuid, uuid);

commit;
