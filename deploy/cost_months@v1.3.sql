-- Deploy motovault:cost_months to pg
-- requires: cost_months@v1.2
-- requires: analytics_costs
--
-- Rework after @v1.2: cost per vehicle and calendar month in the tenant's reporting currency, expenses
-- included. Before, a row per vehicle, month and currency added fuel and maintenance only; now one row
-- per vehicle and month adds every cost (analytics.costs across tenants, api.costs for the active
-- tenant), each converted at the ECB rate of its date: fuel (energy, session fees included),
-- maintenance, expenses (insurance, tax, parking, ...), total; unconverted counts the costs left out for
-- want of a rate. Distance that month and cost per 100 km (analytics) or per 100 of the vehicle's unit
-- (api) as before. The columns of @v1.2 keep their names and places; expense_cost and unconverted are
-- added at the end.

begin;

set local lock_timeout = '5s';

create or replace view analytics.cost_months
as
with per_month as (
    select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month,
           c.reporting_currency as currency,
           coalesce(sum(c.reporting_amount) filter (where c.kind = 'energy'), 0) as fuel_cost,
           coalesce(sum(c.reporting_amount) filter (where c.kind = 'maintenance'), 0) as maintenance_cost,
           coalesce(sum(c.reporting_amount) filter (where c.kind = 'expense'), 0) as expense_cost,
           count(*) filter (where c.reporting_amount is null)::integer as unconverted
    from analytics.costs as c
    group by c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date, c.reporting_currency
)
select
    p.tenant_id,
    p.vehicle_id,
    p.month,
    p.currency,
    p.fuel_cost,
    p.maintenance_cost,
    p.fuel_cost + p.maintenance_cost + p.expense_cost as total_cost,
    d.distance_km,
    round(100 * (p.fuel_cost + p.maintenance_cost + p.expense_cost) / nullif(d.distance_km, 0), 2) as cost_per_100km,
    round(100 * p.fuel_cost / nullif(d.distance_km, 0), 2) as fuel_cost_per_100km,
    p.expense_cost,
    p.unconverted
from per_month as p
left join analytics.vehicle_event_months as d
    on d.tenant_id = p.tenant_id and d.vehicle_id = p.vehicle_id and d.month = p.month;
comment on view analytics.cost_months is
    'Cost per vehicle and calendar month in the tenant''s reporting currency (analytics.costs: each cost converted at the ECB rate of its date): fuel (energy), maintenance, expenses, total; unconverted counts the costs left out for want of a rate; distance driven that month (km, from the odometer range of the vehicle''s events) and cost per 100 km.';
comment on column analytics.cost_months.currency is 'The tenant''s reporting currency: every amount of the row is in it.';
comment on column analytics.cost_months.expense_cost is 'Expense payments that month (insurance, registration, tax, parking, tolls, fines, washing, accessories, loan, lease, other).';
comment on column analytics.cost_months.unconverted is 'Costs of the month not added for want of an exchange rate.';
grant select on analytics.cost_months to analyst;

create or replace view api.vehicle_cost_months
with (security_invoker = true)
as
with per_month as (
    select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month,
           c.reporting_currency as currency,
           coalesce(sum(c.reporting_amount) filter (where c.kind = 'energy'), 0) as fuel_cost,
           coalesce(sum(c.reporting_amount) filter (where c.kind = 'maintenance'), 0) as maintenance_cost,
           coalesce(sum(c.reporting_amount) filter (where c.kind = 'expense'), 0) as expense_cost,
           count(*) filter (where c.reporting_amount is null)::integer as unconverted
    from api.costs as c
    group by c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date, c.reporting_currency
)
select
    p.tenant_id,
    p.vehicle_id,
    p.month,
    p.currency,
    p.fuel_cost,
    p.maintenance_cost,
    p.fuel_cost + p.maintenance_cost + p.expense_cost as total_cost,
    d.distance as distance,
    round(100 * (p.fuel_cost + p.maintenance_cost + p.expense_cost) / nullif(d.distance, 0), 2) as cost_per_100_distance,
    p.expense_cost,
    p.unconverted
from per_month as p
left join api.vehicle_event_months as d
    on d.tenant_id = p.tenant_id and d.vehicle_id = p.vehicle_id and d.month = p.month;
comment on view api.vehicle_cost_months is
    'The active tenant''s costs per vehicle and calendar month in its reporting currency (api.costs: each cost converted at the ECB rate of its date): fuel (energy), maintenance, expenses, total; unconverted counts the costs left out for want of a rate; distance driven that month (in the vehicle''s unit) and cost per 100 of that unit.';
comment on column api.vehicle_cost_months.currency is 'The tenant''s reporting currency: every amount of the row is in it.';
comment on column api.vehicle_cost_months.expense_cost is 'Expense payments that month (insurance, registration, tax, parking, tolls, fines, washing, accessories, loan, lease, other).';
comment on column api.vehicle_cost_months.unconverted is 'Costs of the month not added for want of an exchange rate (see /costs, rate_note).';
grant select on api.vehicle_cost_months to app_user;  -- its _500_read_only trigger stays from @v1.2

commit;
