-- Revert motovault:cost_months from pg

begin;

drop view api.vehicle_cost_months;
drop view analytics.cost_months;

commit;
