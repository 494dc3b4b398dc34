-- Verify motovault:trip_odometer_guard on pg

select 'app.readings_trips_problem(uuid, jsonb)'::regprocedure;
select 'app.trip_window_problem(uuid, uuid, uuid[])'::regprocedure;
select 'app.tg_readings_trips_guard()'::regprocedure;
select 'app.tg_trips_odometer_guard()'::regprocedure;
