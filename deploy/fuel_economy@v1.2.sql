-- Deploy motovault:fuel_economy to pg
-- requires: fuel_logs
--
-- Rework after @v1.1: fuel economy per energy source (app.energy_sources), not per energy kind.
--   * a chain of full-to-full intervals runs over the fill-ups of one source (tank or battery); a
--     fill-up that names no source belongs to the vehicle's source of its energy kind with the lowest
--     tank number that takes its fuel type, and, when the vehicle has none, to one implicit source per kind
--     (which is what economy per energy kind was before);
--   * flex-fuel: one tank taking gasoline and e85: every fill-up into it is one chain, whatever the
--     fuel; an interval reports the fuel types it mixed (fuel_types) and the share of each in blend;
--   * bi-fuel: one tank per fuel: each has its own chain; an interval's distance is what the vehicle
--     drove between two full fill-ups of that tank, on whatever fuel, so each tank's figure is its
--     fuel per distance driven in total, and the figures of the tanks add up (docs/energy.md);
--   * partial, missed and reset rules are as before: partials are summed into the next full fill-up;
--     a missed fill-up or an odometer reset inside an interval leaves it without a figure.
-- api.vehicle_energy: per source and in total, energy (also in kWh, from the fuel's energy content)
-- and cost per distance over a period. Analysts' views get the source as well.

begin;

set local lock_timeout = '5s';

create or replace function app.fuel_energy_kwh(fuel_type text, volume_in_base_unit numeric)
returns numeric
language sql
immutable
parallel safe
return volume_in_base_unit * case fuel_type
    when 'gasoline' then 8.9
    when 'diesel' then 10.0
    when 'e85' then 6.5
    when 'biodiesel' then 9.2
    when 'lpg' then 7.0
    when 'electric' then 1
    when 'cng' then 13.3
    when 'hydrogen' then 33.3
end;
comment on function app.fuel_energy_kwh(text, numeric) is
    'Energy content in kWh of a volume in its base unit (l, kWh, kg): lower heating values per litre gasoline 8.9, diesel 10.0, e85 6.5, biodiesel 9.2, lpg 7.0; per kg cng 13.3, hydrogen 33.3; electric 1; NULL for other. For comparing sources, not for accounting.';

drop function api.fuel_economy_intervals(uuid, text, date, date);
drop function api.fuel_economy(uuid, text, date, date);
drop function app.fuel_intervals(uuid, uuid);

create function app.fuel_intervals(tenant uuid, vehicle uuid)
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
    note text,
    source_id uuid,
    source_name text,
    fuel_types text[],
    blend jsonb
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
    sources as materialized (
        select s.id, s.energy_kind, s.fuel_types, s.name, s.tank_number, s.deleted_at
        from app.energy_sources as s
        where s.tenant_id = tenant
          and s.vehicle_id = vehicle
    ),
    defaults as (
        -- the source a fill-up naming none belongs to: the lowest live tank of its kind taking its fuel
        select distinct on (s.energy_kind, t.fuel_type) s.energy_kind, t.fuel_type, s.id
        from sources as s
        cross join unnest(s.fuel_types) as t (fuel_type)
        where s.deleted_at is null
        order by s.energy_kind, t.fuel_type, s.tank_number
    ),
    f as (
        select l.id, l.energy_kind, l.filled_on, l.read_at, l.is_full, l.missed_previous, l.fuel_type,
               coalesce(l.source_id, d.id) as src,
               app.distance_in_km(l.odometer, l.odometer_unit) as km,
               app.volume_in_base_unit(l.volume, l.volume_unit) as vol
        from app.fuel_logs as l
        left join defaults as d
            on d.energy_kind = l.energy_kind and d.fuel_type = l.fuel_type and l.source_id is null
        where l.tenant_id = tenant
          and l.vehicle_id = vehicle
          and l.deleted_at is null
    ),
    n as (
        select f.*,
               -- the number of full fill-ups before this one in its chain: the interval it belongs to
               count(*) filter (where f.is_full) over (
                   partition by f.energy_kind, f.src
                   order by f.read_at, f.km, f.id
                   rows between unbounded preceding and current row
               ) - case when f.is_full then 1 else 0 end as grp
        from f
    ),
    b as (
        -- per fill-up: the volume of its fuel in its interval, and the interval's volume (flex-fuel blend)
        select n.*,
               sum(n.vol) over (partition by n.energy_kind, n.src, n.grp, n.fuel_type) as fuel_vol,
               sum(n.vol) over (partition by n.energy_kind, n.src, n.grp) as grp_vol
        from n
    ),
    g as (
        select n.energy_kind, n.src, n.grp,
               sum(n.vol) as vol,
               bool_or(n.missed_previous) as missed,
               count(*)::integer as fill_ups,
               max(n.km) filter (where n.is_full) as close_km,
               max(n.read_at) filter (where n.is_full) as close_at,
               max(n.filled_on) filter (where n.is_full) as close_on,
               (array_agg(n.id) filter (where n.is_full))[1] as close_id,
               array_agg(distinct n.fuel_type order by n.fuel_type) as fuels,
               jsonb_object_agg(n.fuel_type, round(n.fuel_vol / n.grp_vol, 3)) as blend
        from b as n
        group by n.energy_kind, n.src, n.grp
        having count(*) filter (where n.is_full) = 1
    ),
    i as (
        select g.*,
               lag(g.close_km) over w as start_km,
               lag(g.close_at) over w as start_at
        from g
        window w as (partition by g.energy_kind, g.src order by g.grp)
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
           end,
           r.src,
           s.name,
           r.fuels,
           r.blend
    from r
    left join sources as s on s.id = r.src
    order by r.energy_kind, s.tank_number nulls first, r.close_at
$$;
comment on function app.fuel_intervals(uuid, uuid) is
    'One row per full fill-up of a vehicle: the interval from the previous full fill-up of the same energy source (tank or battery; fill-ups naming none: the lowest tank of their kind taking their fuel type, else one implicit source per energy kind), its distance (km) and volume (litres, kWh or kg; partials included), whether it has an economy figure (and why not), the fuel types mixed in it and the volume share of each (blend).';

create function api.fuel_economy_intervals(
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
    note text,
    source_id uuid,
    source_name text,
    fuel_types text[],
    blend jsonb
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
           i.note,
           i.source_id,
           i.source_name,
           i.fuel_types,
           i.blend
    from app.fuel_intervals(app.current_tenant_id(), fuel_economy_intervals.vehicle_id) as i
    where i.energy_kind = app.economy_unit_kind(u)
      and (fuel_economy_intervals."from" is null or i.filled_on >= fuel_economy_intervals."from")
      and (fuel_economy_intervals."to" is null or i.filled_on <= fuel_economy_intervals."to")
    order by i.source_name nulls first, i.source_id, i.read_at;
end
$$;
comment on function api.fuel_economy_intervals(uuid, text, date, date) is
    'Per-interval fuel economy of a vehicle: one row per full fill-up (closing date from..to) of the energy kind the unit measures, per energy source (tank or battery), with distance, volume (partials included), economy, the fuel types mixed (blend: volume share of each, flex-fuel), or a note saying why there is no figure (first fill-up, missed fill-up, odometer reset).';

create function api.fuel_economy(
    vehicle_id uuid,
    unit text default null,
    "from" date default null,
    "to" date default null,
    source uuid default null
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
    economy numeric,
    source_id uuid,
    source_name text
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
           round(app.economy_in_unit(sum(i.distance_km), sum(i.volume), u), 2),
           i.source_id,
           i.source_name
    from app.fuel_intervals(app.current_tenant_id(), fuel_economy.vehicle_id) as i
    where i.has_figure
      and i.energy_kind = app.economy_unit_kind(u)
      and (fuel_economy.source is null or i.source_id = fuel_economy.source)
      and (fuel_economy."from" is null or i.filled_on >= fuel_economy."from")
      and (fuel_economy."to" is null or i.filled_on <= fuel_economy."to")
    group by i.source_id, i.source_name
    order by i.source_name nulls first, i.source_id;
end
$$;
comment on function api.fuel_economy(uuid, text, date, date, uuid) is
    'Average fuel economy of a vehicle over a period (closing fill-ups from..to, both optional), one row per energy source (tank or battery; source picks one) of the energy kind the unit measures: total distance / total volume of the full-to-full intervals that have a figure. Units: mpg_us, mpg_imp, l_per_100km, km_per_l, mi_per_kwh, km_per_kwh, kwh_per_100km, kwh_per_100mi, km_per_kg, mi_per_kg, kg_per_100km; default mpg_us for vehicles in miles, l_per_100km otherwise.';

create or replace function api.vehicle_energy(
    vehicle_id uuid,
    "from" date default null,
    "to" date default null
)
returns table (
    source_id uuid,
    source_name text,
    energy_kind text,
    currency text,
    fill_ups integer,
    volume numeric,
    volume_unit text,
    energy_kwh numeric,
    cost numeric,
    distance numeric,
    distance_unit text,
    volume_per_100 numeric,
    kwh_per_100 numeric,
    cost_per_100 numeric
)
language plpgsql
stable
as $$
begin
    perform app.resolve_economy_unit(vehicle_energy.vehicle_id, null);
    return query
    with v as (
        select app.vehicle_odometer_unit(app.current_tenant_id(), vehicle_energy.vehicle_id) as unit
    ),
    sources as materialized (
        select s.id, s.energy_kind, s.fuel_types, s.name, s.tank_number, s.deleted_at
        from app.energy_sources as s
        where s.tenant_id = app.current_tenant_id()
          and s.vehicle_id = vehicle_energy.vehicle_id
    ),
    defaults as (
        select distinct on (s.energy_kind, t.fuel_type) s.energy_kind, t.fuel_type, s.id
        from sources as s
        cross join unnest(s.fuel_types) as t (fuel_type)
        where s.deleted_at is null
        order by s.energy_kind, t.fuel_type, s.tank_number
    ),
    f as (
        select l.energy_kind, coalesce(l.source_id, d.id) as src, l.currency, l.total_cost,
               app.distance_in_km(l.odometer, l.odometer_unit) as km,
               app.volume_in_base_unit(l.volume, l.volume_unit) as vol,
               app.fuel_energy_kwh(l.fuel_type, app.volume_in_base_unit(l.volume, l.volume_unit)) as kwh,
               -- the first fill-up of each source in the period filled what was driven after it:
               -- its volume and cost count in totals, not in what per distance is measured on
               row_number() over (partition by l.energy_kind, coalesce(l.source_id, d.id)
                                  order by l.read_at, l.odometer, l.id) = 1 as is_first
        from app.fuel_logs as l
        left join defaults as d
            on d.energy_kind = l.energy_kind and d.fuel_type = l.fuel_type and l.source_id is null
        where l.tenant_id = app.current_tenant_id()
          and l.vehicle_id = vehicle_energy.vehicle_id
          and l.deleted_at is null
          and (vehicle_energy."from" is null or l.filled_on >= vehicle_energy."from")
          and (vehicle_energy."to" is null or l.filled_on <= vehicle_energy."to")
    ),
    span as (
        select max(f.km) - min(f.km) as km from f
    ),
    per as (
        select f.src, f.energy_kind, f.currency,
               grouping(f.src, f.energy_kind) = 3 as is_total,
               count(*)::integer as fill_ups,
               sum(f.vol) as vol,
               sum(f.vol) filter (where not f.is_first) as vol_measured,
               sum(f.kwh) as kwh,
               sum(f.kwh) filter (where not f.is_first) as kwh_measured,
               sum(f.total_cost) as cost,
               sum(f.total_cost) filter (where not f.is_first) as cost_measured
        from f
        group by grouping sets ((f.src, f.energy_kind, f.currency), (f.currency))
    )
    select p.src, case when p.is_total then 'total' else coalesce(s.name, p.energy_kind) end,
           case when p.is_total then null else p.energy_kind end,
           p.currency, p.fill_ups,
           case when not p.is_total then round(p.vol, 3) end,
           case when not p.is_total then case p.energy_kind when 'liquid' then 'l' when 'electric' then 'kwh' else 'kg' end end,
           round(p.kwh, 1),
           p.cost,
           round(case when v.unit = 'mi' then span.km / 1.609344 else span.km end, 1),
           v.unit,
           case when not p.is_total
                then round(100 * coalesce(p.vol_measured, 0) / nullif(case when v.unit = 'mi' then span.km / 1.609344 else span.km end, 0), 2) end,
           round(100 * coalesce(p.kwh_measured, 0) / nullif(case when v.unit = 'mi' then span.km / 1.609344 else span.km end, 0), 2),
           round(100 * p.cost_measured / nullif(case when v.unit = 'mi' then span.km / 1.609344 else span.km end, 0), 2)
    from per as p
    cross join v
    cross join span
    left join sources as s on s.id = p.src
    order by p.is_total, s.tank_number nulls first, p.energy_kind, p.currency nulls first;
end
$$;
comment on function api.vehicle_energy(uuid, date, date) is
    'Energy and cost of a vehicle over a period (fill-ups dated from..to), per energy source and currency, and in total per currency (source_name total): fill-ups, volume, energy in kWh (fuel energy content, app.fuel_energy_kwh), cost; distance = the odometer span of the period''s fill-ups in the vehicle''s unit; per 100 of that unit: volume, kWh and cost of the fill-ups after each source''s first one (the first filled what was driven after it).';

-- The plans of these RPCs depend on nothing but a vehicle id: plan once per connection, not per call.
alter function api.fuel_economy_intervals(uuid, text, date, date) set plan_cache_mode = force_generic_plan;
alter function api.fuel_economy(uuid, text, date, date, uuid) set plan_cache_mode = force_generic_plan;

grant execute on function
    app.fuel_energy_kwh(text, numeric),
    app.fuel_intervals(uuid, uuid),
    api.fuel_economy_intervals(uuid, text, date, date),
    api.fuel_economy(uuid, text, date, date, uuid),
    api.vehicle_energy(uuid, date, date)
    to app_user;

-- Analysts: the same chains per energy source, across tenants (no app function: see the @v1.0 notes)
create or replace view analytics.fuel_economy_intervals
as
with defaults as (
    select distinct on (s.tenant_id, s.vehicle_id, s.energy_kind, t.fuel_type)
           s.tenant_id, s.vehicle_id, s.energy_kind, t.fuel_type, s.id
    from app.energy_sources as s
    cross join unnest(s.fuel_types) as t (fuel_type)
    where s.deleted_at is null
    order by s.tenant_id, s.vehicle_id, s.energy_kind, t.fuel_type, s.tank_number
),
f0 as (
    select l.tenant_id, l.vehicle_id, l.id, l.energy_kind, l.filled_on, l.read_at, l.is_full, l.missed_previous,
           coalesce(l.source_id, d.id) as src,
           l.odometer * case l.odometer_unit when 'mi' then 1.609344 else 1 end as km,
           l.volume * case l.volume_unit when 'gal_us' then 3.785411784 when 'gal_imp' then 4.54609 else 1 end as vol
    from app.fuel_logs as l
    join app.vehicles as v on v.tenant_id = l.tenant_id and v.id = l.vehicle_id and v.deleted_at is null
    left join defaults as d
        on d.tenant_id = l.tenant_id and d.vehicle_id = l.vehicle_id and d.energy_kind = l.energy_kind
       and d.fuel_type = l.fuel_type and l.source_id is null
    where l.deleted_at is null
),
f as (
    select f0.*,
           coalesce(count(*) filter (where f0.is_full) over (
               partition by f0.tenant_id, f0.vehicle_id, f0.energy_kind, f0.src
               order by f0.read_at, f0.km, f0.id
               rows between unbounded preceding and 1 preceding
           ), 0) as grp
    from f0
),
g as (
    select f.tenant_id, f.vehicle_id, f.energy_kind, f.src, f.grp,
           sum(f.vol) as vol,
           bool_or(f.missed_previous) as missed,
           count(*)::integer as fill_ups,
           max(f.km) filter (where f.is_full) as close_km,
           max(f.read_at) filter (where f.is_full) as close_at,
           max(f.filled_on) filter (where f.is_full) as close_on
    from f
    group by f.tenant_id, f.vehicle_id, f.energy_kind, f.src, f.grp
    having count(*) filter (where f.is_full) = 1
),
i as (
    select g.*,
           lag(g.close_km) over w as start_km,
           lag(g.close_at) over w as start_at
    from g
    window w as (partition by g.tenant_id, g.vehicle_id, g.energy_kind, g.src order by g.grp)
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
    end as no_figure_reason,
    r.src as source_id
from r;
comment on view analytics.fuel_economy_intervals is
    'One row per full fill-up (or full charge) of every live vehicle: the interval since the previous full one of the same energy source (source_id: a tank or battery; NULL: the implicit source of an energy kind the vehicle declares none of), liquid in l, electric in kWh, mass in kg, partials included; its distance in km and consumption per 100 km when it has a figure (not the first, no missed fill-up, no odometer reset inside).';

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
    round(100 * sum(volume) filter (where has_figure) / nullif(sum(distance_km) filter (where has_figure), 0), 2) as per_100km,
    source_id
from analytics.fuel_economy_intervals
group by tenant_id, vehicle_id, energy_kind, source_id, month, volume_unit;
comment on view analytics.fuel_economy_months is
    'Fuel economy per vehicle, energy source and calendar month (of the closing full fill-up): distance, volume and consumption per 100 km over the intervals with a figure.';

grant select on analytics.fuel_economy_intervals, analytics.fuel_economy_months to analyst;

commit;
