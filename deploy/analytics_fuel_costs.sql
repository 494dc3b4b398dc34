-- Deploy motovault:analytics_fuel_costs to pg
-- requires: analytics_views
-- requires: vehicle_events_from_sources
-- requires: fuel_economy
-- requires: reminders
--
-- Analyst views over fuel logs, maintenance and reminders: fuel economy per interval and per
-- vehicle-month, cost per vehicle-month (fuel, maintenance, total, per 100 km), what is due.
-- Same construction as analytics_views: plain views owned by the owner role, SELECT for analyst.
-- They call no app function (a function in a view runs with the querying role's EXECUTE right
-- and, when it reads tables, with its table rights): unit conversions are written out.
-- Economy intervals follow app.fuel_intervals(): full fill-up to full fill-up per energy kind,
-- partials summed in, a missed fill-up or an odometer reset inside breaks the chain.

begin;

create view analytics.fuel_economy_intervals
as
with f as (
    select l.tenant_id, l.vehicle_id, l.id, l.energy_kind, l.filled_on, l.read_at, l.is_full, l.missed_previous,
           l.odometer * case l.odometer_unit when 'mi' then 1.609344 else 1 end as km,
           l.volume * case l.volume_unit when 'gal_us' then 3.785411784 when 'gal_imp' then 4.54609 else 1 end as vol,
           coalesce(count(*) filter (where l.is_full) over (
               partition by l.tenant_id, l.vehicle_id, l.energy_kind
               order by l.read_at, l.odometer, l.id
               rows between unbounded preceding and 1 preceding
           ), 0) as grp
    from app.fuel_logs as l
    join app.vehicles as v on v.tenant_id = l.tenant_id and v.id = l.vehicle_id and v.deleted_at is null
    where l.deleted_at is null
),
g as (
    select f.tenant_id, f.vehicle_id, f.energy_kind, f.grp,
           sum(f.vol) as vol,
           bool_or(f.missed_previous) as missed,
           count(*)::integer as fill_ups,
           max(f.km) filter (where f.is_full) as close_km,
           max(f.read_at) filter (where f.is_full) as close_at,
           max(f.filled_on) filter (where f.is_full) as close_on
    from f
    group by f.tenant_id, f.vehicle_id, f.energy_kind, f.grp
    having count(*) filter (where f.is_full) = 1
),
i as (
    select g.*,
           lag(g.close_km) over w as start_km,
           lag(g.close_at) over w as start_at
    from g
    window w as (partition by g.tenant_id, g.vehicle_id, g.energy_kind order by g.grp)
),
r as (
    select i.*,
           exists (
               select
               from app.odometer_entries as o
               where o.tenant_id = i.tenant_id
                 and o.vehicle_id = i.vehicle_id
                 and o.kind = 'reset'
                 and o.deleted_at is null
                 and o.read_at > i.start_at
                 and o.read_at <= i.close_at
           ) as reset_inside
    from i
)
select
    r.tenant_id,
    r.vehicle_id,
    r.energy_kind,
    r.close_on as closed_on,
    date_trunc('month', r.close_on)::date as month,
    round(r.close_km - r.start_km, 1) as distance_km,
    round(r.vol, 3) as volume,
    case r.energy_kind when 'liquid' then 'l' when 'electric' then 'kWh' when 'mass' then 'kg' end as volume_unit,
    r.fill_ups,
    (r.start_km is not null and not r.missed and not r.reset_inside and r.close_km > r.start_km) as has_figure,
    case when r.start_km is not null and not r.missed and not r.reset_inside and r.close_km > r.start_km
         then round(100 * r.vol / (r.close_km - r.start_km), 2) end as per_100km,
    case
        when r.start_km is null then 'first full fill-up'
        when r.missed then 'missed fill-up'
        when r.reset_inside then 'odometer reset'
        when r.close_km <= r.start_km then 'no distance'
    end as no_figure_reason
from r;
comment on view analytics.fuel_economy_intervals is
    'One row per full fill-up (or full charge) of every live vehicle: the interval since the previous full one of the same energy kind (liquid in l, electric in kWh, mass in kg; partials included), its distance in km and consumption per 100 km when it has a figure (not the first, no missed fill-up, no odometer reset inside).';

create view analytics.fuel_economy_months
as
select
    tenant_id,
    vehicle_id,
    energy_kind,
    month,
    volume_unit,
    count(*) filter (where has_figure) as intervals,
    sum(distance_km) filter (where has_figure) as distance_km,
    sum(volume) filter (where has_figure) as volume,
    round(100 * sum(volume) filter (where has_figure) / nullif(sum(distance_km) filter (where has_figure), 0), 2) as per_100km
from analytics.fuel_economy_intervals
group by tenant_id, vehicle_id, energy_kind, month, volume_unit;
comment on view analytics.fuel_economy_months is
    'Fuel economy per vehicle, energy kind and calendar month (of the closing full fill-up): distance, volume and consumption per 100 km over the intervals with a figure.';

create view analytics.cost_months
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

create view analytics.maintenance_due
as
with items as (
    select 'reminder'::text as source, r.tenant_id, r.vehicle_id, r.category, r.due_on, r.due_odometer, r.odometer_unit
    from app.reminders as r
    where r.deleted_at is null
      and (r.status = 'open' or (r.status = 'snoozed' and r.snoozed_until <= current_date))
    union all
    select 'maintenance', m.tenant_id, m.vehicle_id, m.type, m.due_on, m.due_odometer, m.odometer_unit
    from app.maintenance as m
    where m.deleted_at is null and m.status = 'scheduled'
),
measured as (
    select i.*,
           i.due_on - current_date as days_left,
           i.due_odometer * case i.odometer_unit when 'mi' then 1.609344 else 1 end
               - v.odometer_reading * case v.odometer_unit when 'mi' then 1.609344 else 1 end as km_left,
           coalesce(s.reminder_urgent_days, 30) as urgent_days,
           coalesce(s.reminder_very_urgent_days, 7) as very_urgent_days,
           coalesce(s.reminder_urgent_km, 1500) as urgent_km,
           coalesce(s.reminder_very_urgent_km, 500) as very_urgent_km
    from items as i
    join app.vehicles as v on v.tenant_id = i.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
    left join app.tenant_settings as s on s.tenant_id = i.tenant_id and s.deleted_at is null
)
select
    tenant_id,
    vehicle_id,
    source,
    category,
    due_on,
    days_left,
    round(km_left) as km_left,
    case
        when days_left < 0 or km_left < 0 then 'past_due'
        when days_left <= very_urgent_days or km_left <= very_urgent_km then 'very_urgent'
        when days_left <= urgent_days or km_left <= urgent_km then 'urgent'
        else 'not_urgent'
    end as urgency
from measured;
comment on view analytics.maintenance_due is
    'Open reminders and scheduled maintenance of every live vehicle (category only: titles and notes are free text and left out): days and km left and urgency by the tenant''s thresholds (past_due, very_urgent, urgent, not_urgent).';

grant select on analytics.fuel_economy_intervals, analytics.fuel_economy_months, analytics.cost_months,
    analytics.maintenance_due to analyst;

-- the tenant's own costs
create view api.vehicle_cost_months
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

commit;
