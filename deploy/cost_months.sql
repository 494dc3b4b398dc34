-- Deploy motovault:cost_months to pg
-- requires: cost_months@v1.3
-- requires: vehicle_month_costs
--
-- Rework after @v1.3: api.vehicle_cost_months is one app.vehicle_month_costs call per vehicle (the
-- vehicles of the active tenant, deleted ones included as before: their costs stay), the same columns
-- and rows. Before, a request for one vehicle planned the grouped costs joined with the grouped events
-- of every monthly partition of app.vehicle_events (6-10 ms of planning idle at 10M fill-ups, ~26 ms
-- under load) and ran both; now the plan is the vehicle lookup and a function call, and the function's
-- own plan is made once per connection (docs/benchmarks.md, money views). analytics.cost_months (all
-- tenants at once) is unchanged.

begin;

set local lock_timeout = '5s';

create or replace view api.vehicle_cost_months
with (security_invoker = true)
as
select
    v.tenant_id,
    v.id as vehicle_id,
    m.month,
    m.currency,
    m.fuel_cost,
    m.maintenance_cost,
    m.fuel_cost + m.maintenance_cost + m.expense_cost as total_cost,
    m.distance,
    round(100 * (m.fuel_cost + m.maintenance_cost + m.expense_cost) / nullif(m.distance, 0), 2) as cost_per_100_distance,
    m.expense_cost,
    m.unconverted
from app.vehicles as v
cross join lateral app.vehicle_month_costs(v.tenant_id, v.id) as m
where m.costs > 0;
comment on view api.vehicle_cost_months is
    'The active tenant''s costs per vehicle and calendar month in its reporting currency (api.costs: each cost converted at the ECB rate of its date): fuel (energy), maintenance, expenses, total; unconverted counts the costs left out for want of a rate; distance driven that month (in the vehicle''s unit) and cost per 100 of that unit.';
comment on column api.vehicle_cost_months.currency is 'The tenant''s reporting currency: every amount of the row is in it.';
comment on column api.vehicle_cost_months.expense_cost is 'Expense payments that month (insurance, registration, tax, parking, tolls, fines, washing, accessories, loan, lease, other).';
comment on column api.vehicle_cost_months.unconverted is 'Costs of the month not added for want of an exchange rate (see /costs, rate_note).';
grant select on api.vehicle_cost_months to app_user;  -- its _500_read_only trigger stays from @v1.2

commit;
