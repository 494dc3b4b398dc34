-- Revert motovault:cost_months from pg: api.vehicle_cost_months as @v1.3 made it (grouped costs joined
-- with api.vehicle_event_months)

begin;

set local lock_timeout = '5s';

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
