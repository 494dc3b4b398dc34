-- Verify motovault:vin_cache on pg

select vin, decoded, make, model, year, raw_data, source, data_version, cached_at, expires_at from app.vin_cache where false;
select 'app.purge_vin_cache()'::regprocedure;
