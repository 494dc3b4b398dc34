-- Revert motovault:garages from pg

begin;

drop function api.restore_garage(uuid);
drop view api.garages_trash;
drop view api.garages;
drop table app.garages;

commit;
