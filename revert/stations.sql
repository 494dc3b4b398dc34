-- Revert motovault:stations from pg

begin;

drop function api.stations_search(text, integer);
drop function api.stations_near(double precision, double precision, double precision, integer);
drop view api.stations;
drop function app.import_stations(jsonb);
drop table app.stations;
drop function app.meters_to_chord(double precision);
drop function app.chord_to_meters(double precision);
drop function app.earth_point(double precision, double precision);

commit;
