-- Revert motovault:trip_odometer_guard from pg

begin;

drop trigger _110_trips_guard_insert on app.fuel_logs;
drop trigger _110_trips_guard_update on app.fuel_logs;
drop trigger _110_trips_guard_insert on app.odometer_entries;
drop trigger _110_trips_guard_update on app.odometer_entries;
drop trigger _110_trips_guard_insert on app.maintenance;
drop trigger _110_trips_guard_update on app.maintenance;
drop trigger _110_odometer_window_guard_insert on app.trips;
drop trigger _110_odometer_window_guard_update on app.trips;
drop function app.tg_readings_trips_guard();
drop function app.tg_trips_odometer_guard();
drop function app.trip_window_problem(uuid, uuid, uuid[]);
drop function app.readings_trips_problem(uuid, jsonb);
drop function app.odometer_reset_between(uuid, uuid, timestamp, timestamp);

commit;
