-- Revert motovault:cost_months from pg: back to its @v1.2 definitions (a row per currency, no
-- expenses); the views lose columns, so they are dropped and made again as @v1.2 made them

begin;

set local lock_timeout = '5s';

drop view api.vehicle_cost_months;
drop view analytics.cost_months;
create or replace view analytics.cost_months
as
with costs as (
    select l.tenant_id, l.vehicle_id, date_trunc('month', l.filled_on)::date as month, l.currency,
           l.total_cost as fuel_cost, null::numeric as maintenance_cost
    from app.fuel_logs as l
    where l.deleted_at is null and l.total_cost is not null
    union all
    select m.tenant_id, m.vehicle_id, date_trunc('month', m.completed_on)::date, m.currency, null, m.cost
    from app.maintenance as m
    where m.deleted_at is null and m.status = 'completed' and m.cost is not null
),
per_month as (
    select c.tenant_id, c.vehicle_id, c.month, c.currency,
           coalesce(sum(c.fuel_cost), 0) as fuel_cost,
           coalesce(sum(c.maintenance_cost), 0) as maintenance_cost
    from costs as c
    join app.vehicles as v on v.tenant_id = c.tenant_id and v.id = c.vehicle_id and v.deleted_at is null
    group by c.tenant_id, c.vehicle_id, c.month, c.currency
)
select
    p.tenant_id,
    p.vehicle_id,
    p.month,
    p.currency,
    p.fuel_cost,
    p.maintenance_cost,
    p.fuel_cost + p.maintenance_cost as total_cost,
    d.distance_km,
    round(100 * (p.fuel_cost + p.maintenance_cost) / nullif(d.distance_km, 0), 2) as cost_per_100km,
    round(100 * p.fuel_cost / nullif(d.distance_km, 0), 2) as fuel_cost_per_100km
from per_month as p
left join analytics.vehicle_event_months as d
    on d.tenant_id = p.tenant_id and d.vehicle_id = p.vehicle_id and d.month = p.month;
comment on view analytics.cost_months is
    'Cost per vehicle, calendar month and currency (amounts in different currencies are not added): fuel, maintenance, total, distance driven that month (km, from the odometer range of the vehicle''s events) and cost per 100 km.';
grant select on analytics.cost_months to analyst;

create or replace view api.vehicle_cost_months
with (security_invoker = true)
as
with costs as (
    select l.tenant_id, l.vehicle_id, date_trunc('month', l.filled_on)::date as month, l.currency,
           l.total_cost as fuel_cost, null::numeric as maintenance_cost
    from app.fuel_logs as l
    where l.deleted_at is null and l.total_cost is not null
    union all
    select m.tenant_id, m.vehicle_id, date_trunc('month', m.completed_on)::date, m.currency, null, m.cost
    from app.maintenance as m
    where m.deleted_at is null and m.status = 'completed' and m.cost is not null
),
per_month as (
    select c.tenant_id, c.vehicle_id, c.month, c.currency,
           coalesce(sum(c.fuel_cost), 0) as fuel_cost,
           coalesce(sum(c.maintenance_cost), 0) as maintenance_cost
    from costs as c
    group by c.tenant_id, c.vehicle_id, c.month, c.currency
)
select
    p.tenant_id,
    p.vehicle_id,
    p.month,
    p.currency,
    p.fuel_cost,
    p.maintenance_cost,
    p.fuel_cost + p.maintenance_cost as total_cost,
    d.distance as distance,
    round(100 * (p.fuel_cost + p.maintenance_cost) / nullif(d.distance, 0), 2) as cost_per_100_distance
from per_month as p
left join api.vehicle_event_months as d
    on d.tenant_id = p.tenant_id and d.vehicle_id = p.vehicle_id and d.month = p.month;
comment on view api.vehicle_cost_months is
    'The active tenant''s costs per vehicle, calendar month and currency: fuel, maintenance, total, distance driven that month (in the vehicle''s unit) and cost per 100 of that unit.';
grant select on api.vehicle_cost_months to app_user;
select app.protect_read_only_view('api.vehicle_cost_months');

commit;
