-- Verify motovault:hour_readings on pg

select tenant_id, id, vehicle_id, meter, kind, read_at, hours, deleted_at from app.hour_readings where false;
select id from api.hour_readings where false;
select id, deleted_at from api.hour_readings_trash where false;
select vehicle_id, meter, hours, hours_per_day from api.hour_meters where false;
select 'app.daily_hours(uuid, uuid, text, date)'::regprocedure, 'app.tg_hour_readings_guard()'::regprocedure;
