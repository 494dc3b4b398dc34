-- Revert motovault:analytics_tco from pg

begin;

set local lock_timeout = '5s';

drop view analytics.fleet_tco_years;
drop view analytics.fleet_tco_months;
drop view analytics.vehicle_tco_years;
drop view analytics.vehicle_tco_months;

commit;
