-- Revert motovault:vehicles from pg

begin;

drop function api.restore_vehicle(uuid);
drop view api.vehicles_trash;
drop view api.vehicles;
drop table app.vehicles;
drop function app.tg_vehicles_prepare();
drop function app.vehicle_odometer_unit(uuid, uuid);
drop function app.vehicle_default_name(integer, text, text);

commit;
