-- Revert motovault:ownership_costs from pg

begin;

drop view api.fleet_tco_months;
drop view api.vehicle_tco_years;
drop view api.vehicle_tco_months;
drop view api.vehicle_depreciation;
drop function api.restore_vehicle_ownership(uuid);
drop view api.vehicle_ownership_trash;
drop view api.vehicle_ownership;
drop table app.vehicle_ownership;
drop function app.tg_vehicle_ownership_prepare();

commit;
