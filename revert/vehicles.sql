-- Revert motovault:vehicles from pg

begin;

drop function api.restore_vehicle(uuid);
drop view api.vehicles_trash;
drop view api.vehicles;
drop table app.vehicles;
drop function app.vehicles_prepare();

commit;
