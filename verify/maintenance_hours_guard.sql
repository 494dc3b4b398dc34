-- Verify motovault:maintenance_hours_guard on pg

select vehicle_id, meter, source, id, read_at, hours, is_reset from api.hour_meter_readings where false;
select 'app.hour_records_problem(uuid, jsonb, jsonb, text)'::regprocedure;
select 'app.tg_hour_records_guard()'::regprocedure;
