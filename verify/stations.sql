-- Verify motovault:stations on pg

select id, name, brand, address, latitude, longitude, google_place_id, source, deleted_at from app.stations where false;
select id from api.stations where false;
select 'api.stations_near(double precision, double precision, double precision, integer)'::regprocedure,
       'api.stations_search(text, integer)'::regprocedure, 'app.import_stations(jsonb)'::regprocedure;
