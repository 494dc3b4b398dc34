-- Revert motovault:odometer_guard from pg

begin;

drop trigger vehicles_odometer_from_readings on app.vehicles;
drop function app.vehicles_odometer_from_readings();
drop trigger maintenance_odometer on app.maintenance;
drop trigger odometer_entries_odometer on app.odometer_entries;
drop trigger fuel_logs_odometer on app.fuel_logs;
drop function app.odometer_guard();
drop function app.sync_vehicle_odometer(uuid, uuid, timestamp);
drop function app.odometer_problem(uuid, uuid);

commit;
