-- Deploy motovault:analytics_tco to pg
-- requires: cost_months
-- requires: ownership_costs
--
-- The analysts' total cost of ownership, across tenants and without personal data (no VIN, plate,
-- names, notes: ids, months, categories and amounts only): per vehicle and month
-- (analytics.vehicle_tco_months) and year (_years), per tenant's fleet and month (analytics.fleet_tco_months)
-- and year (_years), in each tenant's reporting currency, split as the tenants' api.vehicle_tco_months:
-- energy, maintenance, expenses (analytics.cost_months) and straight-line depreciation (the days owned
-- that month x the daily figure, converted at the purchase date's ECB rate), with distance in km and the
-- cost per 100 km. Plain views owned by the owner role that call no app function (docs/analysts.md).

begin;

set local lock_timeout = '5s';

create or replace view analytics.vehicle_tco_months
as
with dep as (
    -- one live ownership row per vehicle with a sale or an estimate: depreciation per day
    select o.tenant_id, o.vehicle_id, o.purchased_on, coalesce(o.sold_on, o.estimated_on) as valued_on, o.currency,
           round((o.purchase_price - coalesce(o.sale_price, o.estimated_value))
                 / (coalesce(o.sold_on, o.estimated_on) - o.purchased_on), 4) as per_day
    from app.vehicle_ownership as o
    join app.vehicles as v on v.tenant_id = o.tenant_id and v.id = o.vehicle_id and v.deleted_at is null
    where o.deleted_at is null
      and coalesce(o.sold_on, o.estimated_on) is not null
),
months as (
    select c.tenant_id, c.vehicle_id, c.month
    from analytics.cost_months as c
    union
    select d.tenant_id, d.vehicle_id, m::date
    from dep as d
    cross join generate_series(date_trunc('month', d.purchased_on), date_trunc('month', d.valued_on), interval '1 month') as m
),
dep_months as (
    select m.tenant_id, m.vehicle_id, m.month, d.currency, d.purchased_on,
           round(greatest(0, least((m.month + interval '1 month')::date, d.valued_on) - greatest(m.month, d.purchased_on))
                 * d.per_day, 2) as amount
    from months as m
    join dep as d on d.tenant_id = m.tenant_id and d.vehicle_id = m.vehicle_id
),
t as (
    select m.tenant_id, m.vehicle_id, m.month, r.currency,
           coalesce(c.fuel_cost, 0) as energy,
           coalesce(c.maintenance_cost, 0) as maintenance,
           coalesce(c.expense_cost, 0) as expenses,
           case when dm.amount is null then 0
                when dm.currency = r.currency then dm.amount
                else round(dm.amount * rt.per_eur / rf.per_eur, 2) end as depreciation,
           coalesce(c.unconverted, 0)
               + case when dm.amount is not null and dm.currency <> r.currency
                           and (rt.per_eur is null or rf.per_eur is null) then 1 else 0 end as unconverted,
           e.distance_km
    from months as m
    left join analytics.cost_months as c on c.tenant_id = m.tenant_id and c.vehicle_id = m.vehicle_id and c.month = m.month
    left join dep_months as dm on dm.tenant_id = m.tenant_id and dm.vehicle_id = m.vehicle_id and dm.month = m.month
    left join app.reporting_currencies as rc on rc.tenant_id = m.tenant_id and rc.deleted_at is null
    cross join lateral (select coalesce(rc.currency, 'EUR') as currency) as r
    -- the purchase date's rates (EUR is 1), only for depreciation in another currency
    left join lateral (
        select 1::numeric as per_eur where dm.currency = 'EUR'
        union all
        (select x.per_eur from app.exchange_rates as x
         where x.currency = dm.currency and x.rate_date <= dm.purchased_on and x.rate_date > dm.purchased_on - 7
         order by x.rate_date desc limit 1)
    ) as rf on dm.currency <> r.currency
    left join lateral (
        select 1::numeric as per_eur where r.currency = 'EUR'
        union all
        (select x.per_eur from app.exchange_rates as x
         where x.currency = r.currency and x.rate_date <= dm.purchased_on and x.rate_date > dm.purchased_on - 7
         order by x.rate_date desc limit 1)
    ) as rt on dm.currency <> r.currency
    left join analytics.vehicle_event_months as e on e.tenant_id = m.tenant_id and e.vehicle_id = m.vehicle_id and e.month = m.month
)
select t.tenant_id, t.vehicle_id, t.month, t.currency, t.energy, t.maintenance, t.expenses,
       coalesce(t.depreciation, 0) as depreciation,
       t.energy + t.maintenance + t.expenses + coalesce(t.depreciation, 0) as total,
       t.unconverted,
       t.distance_km,
       round(100 * (t.energy + t.maintenance + t.expenses + coalesce(t.depreciation, 0)) / nullif(t.distance_km, 0), 2)
           as cost_per_100km
from t;
comment on view analytics.vehicle_tco_months is
    'Total cost of ownership per vehicle and calendar month across tenants, in each tenant''s reporting currency: energy, maintenance, expenses (analytics.cost_months, each cost at the ECB rate of its date), depreciation (days owned that month x the straight-line figure per day, converted at the purchase date''s rate), total; unconverted counts amounts left out for want of a rate; distance (km, from the vehicle''s events) and cost per 100 km. No personal data.';
comment on column analytics.vehicle_tco_months.currency is 'The tenant''s reporting currency.';
comment on column analytics.vehicle_tco_months.unconverted is 'Amounts of the month left out for want of an exchange rate.';

create or replace view analytics.vehicle_tco_years
as
select m.tenant_id, m.vehicle_id, extract(year from m.month)::integer as year, m.currency,
       sum(m.energy) as energy, sum(m.maintenance) as maintenance, sum(m.expenses) as expenses,
       sum(m.depreciation) as depreciation, sum(m.total) as total, sum(m.unconverted)::integer as unconverted,
       sum(m.distance_km) as distance_km,
       round(100 * sum(m.total) filter (where m.distance_km is not null) / nullif(sum(m.distance_km), 0), 2) as cost_per_100km
from analytics.vehicle_tco_months as m
group by m.tenant_id, m.vehicle_id, extract(year from m.month), m.currency;
comment on view analytics.vehicle_tco_years is
    'Total cost of ownership per vehicle and calendar year across tenants (the sum of analytics.vehicle_tco_months) in the tenant''s reporting currency; cost per 100 km over the months with a distance.';

create or replace view analytics.fleet_tco_months
as
select m.tenant_id, m.month, m.currency, count(distinct m.vehicle_id)::integer as vehicles,
       sum(m.energy) as energy, sum(m.maintenance) as maintenance, sum(m.expenses) as expenses,
       sum(m.depreciation) as depreciation, sum(m.total) as total, sum(m.unconverted)::integer as unconverted,
       sum(m.distance_km) as distance_km,
       round(100 * sum(m.total) filter (where m.distance_km is not null) / nullif(sum(m.distance_km), 0), 2) as cost_per_100km
from analytics.vehicle_tco_months as m
group by m.tenant_id, m.month, m.currency;
comment on view analytics.fleet_tco_months is
    'Total cost of ownership of each tenant''s fleet per calendar month in its reporting currency: vehicles with a cost or owned that month, energy, maintenance, expenses, depreciation, total, distance (km) and cost per 100 km over the vehicles with a distance. Join analytics.fleet_overview for the tenant kind.';

create or replace view analytics.fleet_tco_years
as
select m.tenant_id, extract(year from m.month)::integer as year, m.currency, count(distinct m.vehicle_id)::integer as vehicles,
       sum(m.energy) as energy, sum(m.maintenance) as maintenance, sum(m.expenses) as expenses,
       sum(m.depreciation) as depreciation, sum(m.total) as total, sum(m.unconverted)::integer as unconverted,
       sum(m.distance_km) as distance_km,
       round(100 * sum(m.total) filter (where m.distance_km is not null) / nullif(sum(m.distance_km), 0), 2) as cost_per_100km
from analytics.vehicle_tco_months as m
group by m.tenant_id, extract(year from m.month), m.currency;
comment on view analytics.fleet_tco_years is
    'Total cost of ownership of each tenant''s fleet per calendar year in its reporting currency (the sum of analytics.vehicle_tco_months over its vehicles).';

grant select on analytics.vehicle_tco_months, analytics.vehicle_tco_years, analytics.fleet_tco_months,
    analytics.fleet_tco_years to analyst;

commit;
