-- Verify motovault:stations on pg

select id, name, brand, address, latitude, longitude, google_place_id, source,
       created_at, updated_at, created_by, updated_by, deleted_at
from app.stations
where false;
select id, name from api.stations where false;
select 'api.stations_near(double precision, double precision, double precision, integer)'::regprocedure;
select 'api.stations_search(text, integer)'::regprocedure;
select 'app.import_stations(jsonb)'::regprocedure;
select 'app.earth_point(double precision, double precision)'::regprocedure;
