-- Deploy motovault:vehicle_month_costs to pg
-- requires: expenses
-- requires: vehicle_event_months
--
-- app.vehicle_month_costs(tenant, vehicle): one vehicle's costs per calendar month in the reporting
-- currency (api.costs) with the distance driven that month (the odometer range of its events, as
-- api.vehicle_event_months), a row for every month with a cost or an event (costs = 0: events only),
-- in one plpgsql call whose plan is made once per connection. The per-vehicle
-- views (api.vehicle_cost_months, api.vehicle_tco_months) call it once per vehicle: before, each request
-- planned a join with the grouped events over every monthly partition of app.vehicle_events (~26 ms
-- of planning at 10M fill-ups under load, 6-10 ms idle) and, in the TCO view, read the costs of every
-- vehicle of the tenant. Runs as the caller: row level security applies inside.

begin;

set local lock_timeout = '5s';

create or replace function app.vehicle_month_costs(tenant uuid, vehicle uuid)
returns table (
    month date,
    currency text,
    fuel_cost numeric,
    maintenance_cost numeric,
    expense_cost numeric,
    unconverted integer,
    distance numeric,
    costs integer
)
language plpgsql
stable
set plan_cache_mode = force_generic_plan
as $$
begin
    return query
    with per_month as (
        select date_trunc('month', c.occurred_on)::date as month,
               c.reporting_currency as currency,
               coalesce(sum(c.reporting_amount) filter (where c.kind = 'energy'), 0) as fuel_cost,
               coalesce(sum(c.reporting_amount) filter (where c.kind = 'maintenance'), 0) as maintenance_cost,
               coalesce(sum(c.reporting_amount) filter (where c.kind = 'expense'), 0) as expense_cost,
               count(*) filter (where c.reporting_amount is null)::integer as unconverted,
               count(*)::integer as costs
        from api.costs as c
        where c.tenant_id = vehicle_month_costs.tenant
          and c.vehicle_id = vehicle_month_costs.vehicle
        group by date_trunc('month', c.occurred_on)::date, c.reporting_currency
    ),
    event_months as (
        -- the distance of api.vehicle_event_months: voided events and void markers left out
        select date_trunc('month', e.occurred_at at time zone 'UTC')::date as month,
               max(e.odometer) - min(e.odometer) as distance
        from app.vehicle_events as e
        where e.tenant_id = vehicle_month_costs.tenant
          and e.vehicle_id = vehicle_month_costs.vehicle
          and e.type <> 'void'
          and not exists (
              select from app.vehicle_event_voids as x
              where x.tenant_id = e.tenant_id and x.voided_event_id = e.id
          )
        group by date_trunc('month', e.occurred_at at time zone 'UTC')::date
    )
    select coalesce(p.month, d.month), p.currency, p.fuel_cost, p.maintenance_cost, p.expense_cost, p.unconverted,
           d.distance, coalesce(p.costs, 0)
    from per_month as p
    full join event_months as d on d.month = p.month;
end
$$;
comment on function app.vehicle_month_costs(uuid, uuid) is
    'One vehicle''s costs per calendar month in the tenant''s reporting currency (api.costs: fuel/energy, maintenance, expenses; unconverted counts the costs without a rate; costs counts them) and the distance driven that month in the vehicle''s unit (odometer range of its events, as api.vehicle_event_months): a row for every month with a cost or an event (costs 0 and NULL amounts: events only). plpgsql so that its plan is made once per connection; runs as the caller (row level security applies).';
grant execute on function app.vehicle_month_costs(uuid, uuid) to app_user;

commit;
