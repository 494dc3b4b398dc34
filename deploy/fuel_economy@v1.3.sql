-- Deploy motovault:fuel_economy to pg
-- requires: fuel_economy@v1.2
--
-- Rework after @v1.2: app.fuel_intervals computes the blend of an interval (flex-fuel: the fuel types
-- it mixed and the volume share of each) without two window sums per interval and per-group sorted
-- array and jsonb aggregates: the volume of each fuel type (the list of fuel_logs_fuel_type_known) is a
-- filtered sum of the interval's aggregate, and a source whose fill-ups all have one fuel type (every
-- tank of a bi-fuel car, most vehicles) gets fuel_types {fuel} and blend {fuel: 1.000} with no
-- aggregate at all. Same result columns and rows (checked on bi-fuel, flex-fuel and single-fuel
-- vehicles); fuel_economy_intervals of one vehicle at 10M fill-ups: docs/benchmarks.md.

begin;

set local lock_timeout = '5s';

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
               ) - case when f.is_full then 1 else 0 end as grp,
               -- does the source take fill-ups of more than one fuel type (flex-fuel)? only then is
               -- there a blend to compute
               min(f.fuel_type) over s <> max(f.fuel_type) over s as mixed
        from f
        window s as (partition by f.energy_kind, f.src)
    ),
    g as (
        -- per interval; the volume of each fuel type (fuel_logs_fuel_type_known lists them) by filtered
        -- sums: no window or per-group sort
        select n.energy_kind, n.src, n.grp,
               sum(n.vol) as vol,
               bool_or(n.missed_previous) as missed,
               count(*)::integer as fill_ups,
               max(n.km) filter (where n.is_full) as close_km,
               max(n.read_at) filter (where n.is_full) as close_at,
               max(n.filled_on) filter (where n.is_full) as close_on,
               (array_agg(n.id) filter (where n.is_full))[1] as close_id,
               bool_or(n.mixed) as mixed,
               min(n.fuel_type) as fuel,
               sum(n.vol) filter (where n.fuel_type = 'biodiesel') as v_biodiesel,
               sum(n.vol) filter (where n.fuel_type = 'cng') as v_cng,
               sum(n.vol) filter (where n.fuel_type = 'diesel') as v_diesel,
               sum(n.vol) filter (where n.fuel_type = 'e85') as v_e85,
               sum(n.vol) filter (where n.fuel_type = 'electric') as v_electric,
               sum(n.vol) filter (where n.fuel_type = 'gasoline') as v_gasoline,
               sum(n.vol) filter (where n.fuel_type = 'hydrogen') as v_hydrogen,
               sum(n.vol) filter (where n.fuel_type = 'lpg') as v_lpg,
               sum(n.vol) filter (where n.fuel_type = 'other') as v_other
        from n
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
           case when r.mixed then array_remove(array[case when r.v_biodiesel is not null then 'biodiesel' end, case when r.v_cng is not null then 'cng' end, case when r.v_diesel is not null then 'diesel' end, case when r.v_e85 is not null then 'e85' end, case when r.v_electric is not null then 'electric' end, case when r.v_gasoline is not null then 'gasoline' end, case when r.v_hydrogen is not null then 'hydrogen' end, case when r.v_lpg is not null then 'lpg' end, case when r.v_other is not null then 'other' end], null) else array[r.fuel] end,
           case when r.mixed then jsonb_strip_nulls(jsonb_build_object('biodiesel', round(r.v_biodiesel / r.vol, 3), 'cng', round(r.v_cng / r.vol, 3), 'diesel', round(r.v_diesel / r.vol, 3), 'e85', round(r.v_e85 / r.vol, 3), 'electric', round(r.v_electric / r.vol, 3), 'gasoline', round(r.v_gasoline / r.vol, 3), 'hydrogen', round(r.v_hydrogen / r.vol, 3), 'lpg', round(r.v_lpg / r.vol, 3), 'other', round(r.v_other / r.vol, 3))) else jsonb_build_object(r.fuel, 1.000) end
    from r
    left join sources as s on s.id = r.src
    order by r.energy_kind, s.tank_number nulls first, r.close_at
$$;
comment on function app.fuel_intervals(uuid, uuid) is
    'One row per full fill-up of a vehicle: the interval from the previous full fill-up of the same energy source (tank or battery; fill-ups naming none: the lowest tank of their kind taking their fuel type, else one implicit source per energy kind), its distance (km) and volume (litres, kWh or kg; partials included), whether it has an economy figure (and why not), the fuel types mixed in it and the volume share of each (blend).';

commit;
