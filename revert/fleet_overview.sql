-- Revert motovault:fleet_overview from pg

begin;

drop view api.fleet_overview;
drop view analytics.fleet_overview;
drop view analytics.vehicles;

commit;
