-- Revert motovault:vin_cache from pg

begin;

drop function app.purge_vin_cache();
drop table app.vin_cache;
drop function app.vin_cache_ttl(boolean);
drop function app.vin_setting(text, integer);
-- the owner role's membership in vin_worker is cluster-wide and kept (other databases may use it)

commit;
