-- Verify motovault:time_zones on pg

select 1 / app.is_time_zone('Europe/Berlin')::integer;
select 1 / (not app.is_time_zone('Mars/Olympus_Mons'))::integer;
select 1 / (count(*) > 300)::integer from app.time_zone_names;
