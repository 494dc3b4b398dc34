-- Revert motovault:time_zones from pg

begin;

drop function app.is_time_zone(text);
drop function app.refresh_time_zone_names();
drop table app.time_zone_names;

commit;
