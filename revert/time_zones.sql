-- Revert motovault:time_zones from pg

begin;

drop function app.is_time_zone(text);

commit;
