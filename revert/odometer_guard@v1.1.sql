-- Revert motovault:odometer_guard from pg

begin;

drop trigger _100_odometer_from_readings on app.vehicles;
drop function app.tg_vehicles_odometer_from_readings();
drop trigger _100_odometer_guard on app.maintenance;
drop trigger _100_odometer_guard on app.odometer_entries;
drop trigger _100_odometer_guard on app.fuel_logs;
drop function app.tg_odometer_guard();
drop function app.sync_vehicle_odometer(uuid, uuid, timestamp);
drop function app.odometer_problem(uuid, uuid);

commit;
