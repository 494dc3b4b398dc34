-- Verify motovault:vin_cache on pg

select vin, decoded, make, model, year, trim, body_class, vehicle_type, fuel_types,
       engine_cylinders, engine_displacement_l, engine_power_kw, engine_power_hp, drive_type,
       manufacturer, plant_country, error_codes, error_texts, raw_data, source, data_version,
       engine_type, body_type, cached_at, expires_at, created_at, updated_at
from app.vin_cache
where false;
select 'app.purge_vin_cache()'::regprocedure, 'app.vin_cache_ttl(boolean)'::regprocedure,
       'app.vin_setting(text, integer)'::regprocedure;
