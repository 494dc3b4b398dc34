-- Deploy motovault:vehicle_tco_months to pg
-- requires: vehicle_month_costs
-- requires: ownership_costs
--
-- app.vehicle_tco_months(tenant, vehicle): one vehicle's total cost of ownership per calendar month, the
-- rows and columns of api.vehicle_tco_months (ownership_costs) for that vehicle, in one plpgsql call
-- whose plan is made once per connection: the costs and distances of app.vehicle_month_costs read
-- once, the live ownership row and the purchase date's rates looked up once (app.convert_amount's
-- arithmetic), depreciation per month from them. Runs as the caller: row level security applies.

begin;

set local lock_timeout = '5s';

create or replace function app.vehicle_tco_months(tenant uuid, vehicle uuid)
returns table (
    month date,
    currency text,
    energy numeric,
    maintenance numeric,
    expenses numeric,
    depreciation numeric,
    total numeric,
    unconverted bigint,
    distance numeric,
    cost_per_100 numeric
)
language plpgsql
stable
set plan_cache_mode = force_generic_plan
as $$
declare
    reporting text := app.reporting_currency(vehicle_tco_months.tenant);
    bought date;
    valued date;
    daily numeric;
    dep_currency text;
    from_eur numeric;
    to_eur numeric;
begin
    -- the live ownership row with a sale or an estimate (at most one per vehicle): depreciation per day
    select d.purchased_on, coalesce(d.valued_on, current_date), d.per_day, d.currency
    into bought, valued, daily, dep_currency
    from api.vehicle_depreciation as d
    where d.tenant_id = vehicle_tco_months.tenant
      and d.vehicle_id = vehicle_tco_months.vehicle
      and d.per_day is not null;
    -- converted at the purchase date's rates (app.convert_amount's arithmetic, looked up once)
    if daily is not null and dep_currency is distinct from reporting then
        select f.per_eur into from_eur from app.eur_rate(dep_currency, bought) as f;
        select t.per_eur into to_eur from app.eur_rate(reporting, bought) as t;
    end if;
    return query
    with mc as materialized (
        select * from app.vehicle_month_costs(vehicle_tco_months.tenant, vehicle_tco_months.vehicle)
    ),
    months as (
        -- months with a cost, and every month the vehicle was owned (depreciation)
        select mc.month from mc where mc.costs > 0
        union
        select m::date
        from generate_series(date_trunc('month', bought), date_trunc('month', valued), interval '1 month') as m
        where daily is not null
    ),
    t as (
        select m.month,
               coalesce(c.fuel_cost, 0) as energy,
               coalesce(c.maintenance_cost, 0) as maintenance,
               coalesce(c.expense_cost, 0) as expenses,
               case when dep_currency = reporting then a.amount
                    else round(a.amount * to_eur / from_eur, 2) end as converted,
               a.amount,
               c.unconverted,
               c.distance
        from months as m
        left join mc as c on c.month = m.month
        -- days of the month inside [purchased_on, valued_on) x the figure per day
        cross join lateral (
            select round(greatest(0, least((m.month + interval '1 month')::date, valued) - greatest(m.month, bought))
                         * daily, 2) as amount
        ) as a
    )
    select t.month, reporting, t.energy, t.maintenance, t.expenses,
           coalesce(t.converted, 0),
           t.energy + t.maintenance + t.expenses + coalesce(t.converted, 0),
           coalesce(t.unconverted, 0)::bigint + case when t.amount is not null and t.converted is null then 1 else 0 end,
           t.distance,
           round(100 * (t.energy + t.maintenance + t.expenses + coalesce(t.converted, 0)) / nullif(t.distance, 0), 2)
    from t;
end
$$;
comment on function app.vehicle_tco_months(uuid, uuid) is
    'One vehicle''s total cost of ownership per calendar month in the tenant''s reporting currency: energy, maintenance, expenses (app.vehicle_month_costs), depreciation (days owned that month x the straight-line figure per day of api.vehicle_depreciation, converted at the purchase date''s ECB rate), total; unconverted counts the amounts left out for want of a rate; distance (vehicle''s unit) and cost per 100 of it. Months with a cost, and every month owned. plpgsql so that its plan is made once per connection; runs as the caller.';
grant execute on function app.vehicle_tco_months(uuid, uuid) to app_user;

commit;
