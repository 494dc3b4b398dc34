-- Revert motovault:ownership_costs from pg: api.vehicle_tco_months as @v1.3 made it (months, costs,
-- depreciation and event months joined in the view)

begin;

set local lock_timeout = '5s';

create or replace view api.vehicle_tco_months
with (security_invoker = true)
as
with months as (
    -- months with a cost, and every month the vehicle was owned (depreciation)
    select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month
    from api.costs as c
    union
    select d.tenant_id, d.vehicle_id, m::date
    from api.vehicle_depreciation as d
    cross join generate_series(date_trunc('month', d.purchased_on),
                               date_trunc('month', coalesce(d.valued_on, current_date)), interval '1 month') as m
    where d.per_day is not null
),
c as (
    select c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date as month,
           sum(c.reporting_amount) filter (where c.kind = 'energy') as energy,
           sum(c.reporting_amount) filter (where c.kind = 'maintenance') as maintenance,
           sum(c.reporting_amount) filter (where c.kind = 'expense') as expenses,
           count(*) filter (where c.reporting_amount is null) as unconverted
    from api.costs as c
    group by c.tenant_id, c.vehicle_id, date_trunc('month', c.occurred_on)::date
),
dep as (
    select m.tenant_id, m.vehicle_id, m.month,
           -- days of the month inside [purchased_on, valued_on)
           greatest(0, least((m.month + interval '1 month')::date, d.valued_on) - greatest(m.month, d.purchased_on))
               * d.per_day as amount,
           d.currency, d.purchased_on
    from months as m
    join api.vehicle_depreciation as d on d.tenant_id = m.tenant_id and d.vehicle_id = m.vehicle_id
    where d.per_day is not null
)
select m.tenant_id, m.vehicle_id, m.month,
       app.reporting_currency(m.tenant_id) as currency,
       coalesce(c.energy, 0) as energy,
       coalesce(c.maintenance, 0) as maintenance,
       coalesce(c.expenses, 0) as expenses,
       coalesce(x.converted, 0) as depreciation,
       coalesce(c.energy, 0) + coalesce(c.maintenance, 0) + coalesce(c.expenses, 0) + coalesce(x.converted, 0) as total,
       coalesce(c.unconverted, 0) + case when dep.amount is not null and x.converted is null then 1 else 0 end as unconverted,
       e.distance,
       round(100 * (coalesce(c.energy, 0) + coalesce(c.maintenance, 0) + coalesce(c.expenses, 0) + coalesce(x.converted, 0))
             / nullif(e.distance, 0), 2) as cost_per_100
from months as m
left join c on c.tenant_id = m.tenant_id and c.vehicle_id = m.vehicle_id and c.month = m.month
left join dep on dep.tenant_id = m.tenant_id and dep.vehicle_id = m.vehicle_id and dep.month = m.month
left join lateral app.convert_amount(round(dep.amount, 2), dep.currency, app.reporting_currency(m.tenant_id), dep.purchased_on) as x on true
left join api.vehicle_event_months as e on e.tenant_id = m.tenant_id and e.vehicle_id = m.vehicle_id and e.month = m.month;

commit;
