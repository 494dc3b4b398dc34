-- Revert motovault:fuel_economy from pg: back to its @v1.1 definitions (economy per energy kind);
-- the functions whose result columns changed are dropped and made again as @v1.1 made them

begin;

set local lock_timeout = '5s';

drop function api.vehicle_energy(uuid, date, date);
drop function api.fuel_economy(uuid, text, date, date, uuid);
drop function api.fuel_economy_intervals(uuid, text, date, date);
drop function app.fuel_intervals(uuid, uuid);
drop view analytics.fuel_economy_months;
drop view analytics.fuel_economy_intervals;
drop function app.fuel_energy_kwh(text, numeric);

create or replace function app.fuel_intervals(tenant uuid, vehicle uuid)
returns table (
    energy_kind text,
    fuel_log_id uuid,
    filled_on date,
    start_read_at timestamp,
    read_at timestamp,
    distance_km numeric,
    volume numeric,
    fill_ups integer,
    has_figure boolean,
    note text
)
language sql
stable
as $$
    with resets as materialized (
        -- reset entries of the vehicle (from any source of app.odometer_readings), read once
        select coalesce(array_agg(o.read_at), '{}') as ats
        from app.odometer_readings as o
        where o.tenant_id = tenant
          and o.vehicle_id = vehicle
          and o.is_reset
    ),
    f as (
        select l.id, l.energy_kind, l.filled_on, l.read_at, l.is_full, l.missed_previous,
               app.distance_in_km(l.odometer, l.odometer_unit) as km,
               app.volume_in_base_unit(l.volume, l.volume_unit) as vol,
               -- the number of full fill-ups before this one: the interval it belongs to
               count(*) filter (where l.is_full) over (
                   partition by l.energy_kind
                   order by l.read_at, l.odometer, l.id
                   rows between unbounded preceding and current row
               ) - case when l.is_full then 1 else 0 end as grp
        from app.fuel_logs as l
        where l.tenant_id = tenant
          and l.vehicle_id = vehicle
          and l.deleted_at is null
    ),
    g as (
        select f.energy_kind, f.grp,
               sum(f.vol) as vol,
               bool_or(f.missed_previous) as missed,
               count(*)::integer as fill_ups,
               max(f.km) filter (where f.is_full) as close_km,
               max(f.read_at) filter (where f.is_full) as close_at,
               max(f.filled_on) filter (where f.is_full) as close_on,
               (array_agg(f.id) filter (where f.is_full))[1] as close_id
        from f
        group by f.energy_kind, f.grp
        having count(*) filter (where f.is_full) = 1
    ),
    i as (
        select g.*,
               lag(g.close_km) over (partition by g.energy_kind order by g.grp) as start_km,
               lag(g.close_at) over (partition by g.energy_kind order by g.grp) as start_at
        from g
    ),
    r as (
        select i.*,
               exists (
                   select
                   from unnest(resets.ats) as a
                   where a > i.start_at
                     and a <= i.close_at
               ) as reset_inside
        from i
        cross join resets
    )
    select r.energy_kind, r.close_id, r.close_on, r.start_at, r.close_at,
           r.close_km - r.start_km, r.vol, r.fill_ups,
           r.start_km is not null and not r.missed and not r.reset_inside and r.close_km > r.start_km,
           case
               when r.start_km is null then 'first full fill-up: no previous full fill-up to measure from'
               when r.missed then 'missed fill-up: the chain is broken'
               when r.reset_inside then 'odometer reset inside the interval'
               when r.close_km <= r.start_km then 'no distance driven'
           end
    from r
    order by r.energy_kind, r.close_at
$$;
comment on function app.fuel_intervals(uuid, uuid) is
    'One row per full fill-up of a vehicle: the interval from the previous full fill-up of the same energy kind, its distance (km) and volume (litres, kWh or kg; partials included), and whether it has an economy figure (and why not).';

create or replace function api.fuel_economy_intervals(
    vehicle_id uuid,
    unit text default null,
    "from" date default null,
    "to" date default null
)
returns table (
    fuel_log_id uuid,
    filled_on date,
    energy_kind text,
    distance numeric,
    distance_unit text,
    volume numeric,
    volume_unit text,
    fill_ups integer,
    economy numeric,
    economy_unit text,
    note text
)
language plpgsql
stable
as $$
declare
    u text := app.resolve_economy_unit(fuel_economy_intervals.vehicle_id, fuel_economy_intervals.unit);
    in_miles boolean;
begin
    in_miles := u in ('mpg_us', 'mpg_imp', 'mi_per_kwh', 'kwh_per_100mi', 'mi_per_kg');
    return query
    select i.fuel_log_id, i.filled_on, i.energy_kind,
           round(case when in_miles then i.distance_km / 1.609344 else i.distance_km end, 1),
           case when in_miles then 'mi' else 'km' end,
           round(case u when 'mpg_us' then i.volume / 3.785411784 when 'mpg_imp' then i.volume / 4.54609 else i.volume end, 3),
           case u when 'mpg_us' then 'gal_us' when 'mpg_imp' then 'gal_imp'
                  else case i.energy_kind when 'liquid' then 'l' when 'electric' then 'kwh' else 'kg' end end,
           i.fill_ups,
           case when i.has_figure then round(app.economy_in_unit(i.distance_km, i.volume, u), 2) end,
           u,
           i.note
    from app.fuel_intervals(app.current_tenant_id(), fuel_economy_intervals.vehicle_id) as i
    where i.energy_kind = app.economy_unit_kind(u)
      and (fuel_economy_intervals."from" is null or i.filled_on >= fuel_economy_intervals."from")
      and (fuel_economy_intervals."to" is null or i.filled_on <= fuel_economy_intervals."to")
    order by i.read_at;
end
$$;
comment on function api.fuel_economy_intervals(uuid, text, date, date) is
    'Per-interval fuel economy of a vehicle: one row per full fill-up (closing date from..to) of the energy kind the unit measures, with distance, volume (partials included) and economy, or a note saying why there is no figure (first fill-up, missed fill-up, odometer reset).';

create or replace function api.fuel_economy(
    vehicle_id uuid,
    unit text default null,
    "from" date default null,
    "to" date default null
)
returns table (
    energy_kind text,
    economy_unit text,
    period_from date,
    period_to date,
    intervals integer,
    distance numeric,
    distance_unit text,
    volume numeric,
    volume_unit text,
    economy numeric
)
language plpgsql
stable
as $$
declare
    u text := app.resolve_economy_unit(fuel_economy.vehicle_id, fuel_economy.unit);
    in_miles boolean;
begin
    in_miles := u in ('mpg_us', 'mpg_imp', 'mi_per_kwh', 'kwh_per_100mi', 'mi_per_kg');
    return query
    select app.economy_unit_kind(u),
           u,
           fuel_economy."from",
           fuel_economy."to",
           count(*)::integer,
           round(case when in_miles then sum(i.distance_km) / 1.609344 else sum(i.distance_km) end, 1),
           case when in_miles then 'mi' else 'km' end,
           round(case u when 'mpg_us' then sum(i.volume) / 3.785411784 when 'mpg_imp' then sum(i.volume) / 4.54609 else sum(i.volume) end, 3),
           case u when 'mpg_us' then 'gal_us' when 'mpg_imp' then 'gal_imp'
                  else case app.economy_unit_kind(u) when 'liquid' then 'l' when 'electric' then 'kwh' else 'kg' end end,
           round(app.economy_in_unit(sum(i.distance_km), sum(i.volume), u), 2)
    from app.fuel_intervals(app.current_tenant_id(), fuel_economy.vehicle_id) as i
    where i.has_figure
      and i.energy_kind = app.economy_unit_kind(u)
      and (fuel_economy."from" is null or i.filled_on >= fuel_economy."from")
      and (fuel_economy."to" is null or i.filled_on <= fuel_economy."to");
end
$$;
comment on function api.fuel_economy(uuid, text, date, date) is
    'Average fuel economy of a vehicle over a period (closing fill-ups from..to, both optional): total distance / total volume of the full-to-full intervals that have a figure, for the energy kind the unit measures. Units: mpg_us, mpg_imp, l_per_100km, km_per_l, mi_per_kwh, km_per_kwh, kwh_per_100km, kwh_per_100mi, km_per_kg, mi_per_kg, kg_per_100km; default mpg_us for vehicles in miles, l_per_100km otherwise.';

-- The plans of these RPCs depend on nothing but a vehicle id: plan once per connection, not per call.
alter function api.fuel_economy_intervals(uuid, text, date, date) set plan_cache_mode = force_generic_plan;
alter function api.fuel_economy(uuid, text, date, date) set plan_cache_mode = force_generic_plan;

grant execute on function
    app.economy_unit_kind(text),
    app.economy_in_unit(numeric, numeric, text),
    app.fuel_intervals(uuid, uuid),
    app.resolve_economy_unit(uuid, text),
    api.fuel_economy_intervals(uuid, text, date, date),
    api.fuel_economy(uuid, text, date, date)
    to app_user;

create or replace view analytics.fuel_economy_intervals
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

create or replace view analytics.fuel_economy_months
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

grant select on analytics.fuel_economy_intervals, analytics.fuel_economy_months to analyst;

commit;
