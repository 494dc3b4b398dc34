-- Deploy motovault:ownership_costs to pg
-- requires: ownership_costs@v1.3
-- requires: vehicle_tco_months
--
-- Rework after @v1.3: api.vehicle_tco_months is one app.vehicle_tco_months call per vehicle (the
-- vehicles of the active tenant, deleted ones included as before), the same columns and rows. Before,
-- a request for one vehicle read the costs of every vehicle of the tenant (the months CTE, used twice,
-- was materialized before the vehicle filter), read them again per month, converted a NULL
-- depreciation per month and joined the events of every monthly partition of app.vehicle_events,
-- with 10 ms of planning idle at 10M fill-ups. vehicle_tco_years and fleet_tco_months read it as before.

begin;

set local lock_timeout = '5s';

create or replace view api.vehicle_tco_months
with (security_invoker = true)
as
select v.tenant_id, v.id as vehicle_id, m.month, m.currency, m.energy, m.maintenance, m.expenses, m.depreciation,
       m.total, m.unconverted, m.distance, m.cost_per_100
from app.vehicles as v
cross join lateral app.vehicle_tco_months(v.tenant_id, v.id) as m;
comment on view api.vehicle_tco_months is
    'Total cost of ownership of the active tenant''s vehicles per calendar month, in the reporting currency: energy, maintenance, expenses (api.costs, converted at the ECB rate of each cost''s date) and depreciation (per day x the days owned that month, converted at the purchase date''s rate); unconverted counts the amounts left out for want of a rate; distance that month (vehicle''s unit, from its events) and cost per 100 of it.';
grant select on api.vehicle_tco_months to app_user;  -- its _500_read_only trigger stays from @v1.2

commit;
