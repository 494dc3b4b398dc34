-- Revert motovault:fuel_economy from pg: app.fuel_intervals as @v1.2 made it (blend by window sums)

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

commit;
