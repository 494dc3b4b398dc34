-- Verify motovault:trips on pg

select tenant_id, id, vehicle_id, kind, started_at, ended_at, start_odometer, end_odometer, purpose, driver,
       reverses_id, corrects_id, logged_at, distance, deleted_at
from app.trips
where false;
select tenant_id, id, purpose, valid_from, rate, distance_unit, currency, deleted_at from app.trip_rates where false;
select tenant_id, id, vehicle_id, closed_through from app.trip_closings where false;
select id from api.trips where false;
select line_no, closed from api.trip_log where false;
select month, reimbursement from api.trip_totals where false;
select 'api.close_trip_log(uuid, date)'::regprocedure, 'api.reverse_trip(uuid, text)'::regprocedure;
