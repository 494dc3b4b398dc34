-- Revert motovault:analytics_fuel_costs from pg

begin;

drop view api.vehicle_cost_months;
drop view analytics.maintenance_due;
drop view analytics.cost_months;
drop view analytics.fuel_economy_months;
drop view analytics.fuel_economy_intervals;

commit;
