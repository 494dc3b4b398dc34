-- Verify motovault:time_zone_lookup on pg

select 1 / (app.is_time_zone('Europe/Berlin') and not app.is_time_zone('Mars/Olympus_Mons'))::integer;
select 1 / (prolang = (select oid from pg_language where lanname = 'plpgsql'))::integer
from pg_proc
where oid = 'app.is_time_zone(text)'::regprocedure;
