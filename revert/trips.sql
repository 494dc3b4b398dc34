-- Revert motovault:trips from pg

begin;

drop function api.close_trip_log(uuid, date);
drop view api.trip_totals;
drop function app.trip_rate(uuid, text, date);
drop view api.trip_log;
drop view api.trip_closings;
drop function api.restore_trip_rate(uuid);
drop view api.trip_rates_trash;
drop view api.trip_rates;
drop function api.reverse_trip(uuid, text);
drop function api.restore_trip(uuid);
drop view api.trips_trash;
drop view api.trips;
drop table app.trip_rates;
drop table app.trips;
drop function app.tg_trips_guard();
drop function app.trips_problem(uuid, uuid, uuid[], date);
drop function app.trip_is_effective(uuid, uuid, text);
drop function app.tg_trips_prepare();
drop table app.trip_closings;
drop function app.trips_closed_through(uuid, uuid);

commit;
