-- Deploy motovault:fuel_economy to pg
-- requires: fuel_economy@v1.3
--
-- Rework after @v1.3: app.fuel_intervals without grouping. An interval's figures (volume, fill-ups, a
-- missed fill-up in it) are differences of running figures along the source's chain, taken at its
-- closing full fill-up (the fill-ups of an interval are the ones after the previous full fill-up of the
-- source, up to and including its own), and its start is the previous full fill-up (lag): one sort and
-- two window passes instead of a sort, two window passes, a second sort, a grouping and a third window
-- pass. Flex-fuel sources (more than one fuel type) still group their fill-ups per interval for the
-- blend; other sources skip it. energy_kind and fuel_type are compared bytewise (collate "C": closed
-- lists of ASCII words, same order); the reset check runs only when the vehicle has resets. Same
-- result columns and rows (pgTAP fuel_economy, energy_sources, ev_charging; bench/money_ab.py compares
-- old and new on the 10M data set); fuel_economy_intervals of one vehicle at 10M fill-ups:
-- docs/benchmarks.md.

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
        -- energy_kind and fuel_type (closed lists of ASCII words) compared bytewise: sorts, windows and
        -- min/max without locale collation
        select l.id, l.energy_kind collate "C" as energy_kind, l.filled_on, l.read_at, l.is_full,
               l.missed_previous, l.fuel_type collate "C" as fuel_type,
               coalesce(l.source_id, (
                   select d.id from defaults as d
                   where d.energy_kind = l.energy_kind and d.fuel_type = l.fuel_type
               )) as src,
               app.distance_in_km(l.odometer, l.odometer_unit) as km,
               app.volume_in_base_unit(l.volume, l.volume_unit) as vol
        from app.fuel_logs as l
        where l.tenant_id = tenant
          and l.vehicle_id = vehicle
          and l.deleted_at is null
    ),
    w as (
        -- running figures along each source's chain (one sort, one pass): the interval a fill-up
        -- belongs to is the number of full fill-ups before it (grp); the volume, missed fill-ups and
        -- fill-ups so far, so that an interval's figures are the difference at its closing full fill-up
        select f.*,
               count(*) filter (where f.is_full) over c - case when f.is_full then 1 else 0 end as grp,
               sum(f.vol) over c as run_vol,
               count(*) filter (where f.missed_previous) over c as run_missed,
               count(*) over c as run_n,
               -- does the source take fill-ups of more than one fuel type (flex-fuel)? only then is
               -- there a blend to compute
               min(f.fuel_type) over s <> max(f.fuel_type) over s as mixed
        from f
        window s as (partition by f.energy_kind, f.src),
               c as (s order by f.read_at, f.km, f.id rows between unbounded preceding and current row)
    ),
    closing as (
        -- one row per full fill-up: the interval it closes runs from the previous full fill-up of its source
        select w.*,
               w.run_vol - coalesce(lag(w.run_vol) over p, 0) as ivol,
               w.run_missed > coalesce(lag(w.run_missed) over p, 0) as missed,
               (w.run_n - coalesce(lag(w.run_n) over p, 0))::integer as fill_ups,
               lag(w.km) over p as start_km,
               lag(w.read_at) over p as start_at
        from w
        where w.is_full
        window p as (partition by w.energy_kind, w.src order by w.read_at, w.km, w.id)
    ),
    blends as (
        -- flex-fuel sources only: the volume of each fuel type (fuel_logs_fuel_type_known lists them)
        -- in each interval, by filtered sums
        select w.energy_kind, w.src, w.grp,
               sum(w.vol) filter (where w.fuel_type = 'biodiesel') as v_biodiesel,
               sum(w.vol) filter (where w.fuel_type = 'cng') as v_cng,
               sum(w.vol) filter (where w.fuel_type = 'diesel') as v_diesel,
               sum(w.vol) filter (where w.fuel_type = 'e85') as v_e85,
               sum(w.vol) filter (where w.fuel_type = 'electric') as v_electric,
               sum(w.vol) filter (where w.fuel_type = 'gasoline') as v_gasoline,
               sum(w.vol) filter (where w.fuel_type = 'hydrogen') as v_hydrogen,
               sum(w.vol) filter (where w.fuel_type = 'lpg') as v_lpg,
               sum(w.vol) filter (where w.fuel_type = 'other') as v_other
        from w
        where w.mixed
        group by w.energy_kind, w.src, w.grp
    ),
    r as (
        select c.*,
               b.v_biodiesel, b.v_cng, b.v_diesel, b.v_e85, b.v_electric, b.v_gasoline, b.v_hydrogen, b.v_lpg,
               b.v_other,
               cardinality(resets.ats) > 0
               and exists (
                   select
                   from unnest(resets.ats) as a
                   where a > c.start_at
                     and a <= c.read_at
               ) as reset_inside
        from closing as c
        left join blends as b
            on b.grp = c.grp and b.energy_kind is not distinct from c.energy_kind and b.src is not distinct from c.src
        cross join resets
    )
    select r.energy_kind collate "default", r.id, r.filled_on, r.start_at, r.read_at,
           r.km - r.start_km, r.ivol, r.fill_ups,
           r.start_km is not null and not r.missed and not r.reset_inside and r.km > r.start_km,
           case
               when r.start_km is null then 'first full fill-up: no previous full fill-up to measure from'
               when r.missed then 'missed fill-up: the chain is broken'
               when r.reset_inside then 'odometer reset inside the interval'
               when r.km <= r.start_km then 'no distance driven'
           end,
           r.src,
           s.name,
           case when r.mixed then array_remove(array[case when r.v_biodiesel is not null then 'biodiesel' end, case when r.v_cng is not null then 'cng' end, case when r.v_diesel is not null then 'diesel' end, case when r.v_e85 is not null then 'e85' end, case when r.v_electric is not null then 'electric' end, case when r.v_gasoline is not null then 'gasoline' end, case when r.v_hydrogen is not null then 'hydrogen' end, case when r.v_lpg is not null then 'lpg' end, case when r.v_other is not null then 'other' end], null) else array[r.fuel_type collate "default"] end,
           case when r.mixed then jsonb_strip_nulls(jsonb_build_object('biodiesel', round(r.v_biodiesel / r.ivol, 3), 'cng', round(r.v_cng / r.ivol, 3), 'diesel', round(r.v_diesel / r.ivol, 3), 'e85', round(r.v_e85 / r.ivol, 3), 'electric', round(r.v_electric / r.ivol, 3), 'gasoline', round(r.v_gasoline / r.ivol, 3), 'hydrogen', round(r.v_hydrogen / r.ivol, 3), 'lpg', round(r.v_lpg / r.ivol, 3), 'other', round(r.v_other / r.ivol, 3))) else jsonb_build_object(r.fuel_type, 1.000) end
    from r
    left join sources as s on s.id = r.src
    order by r.energy_kind collate "default", s.tank_number nulls first, r.read_at
$$;
comment on function app.fuel_intervals(uuid, uuid) is
    'One row per full fill-up of a vehicle: the interval from the previous full fill-up of the same energy source (tank or battery; fill-ups naming none: the lowest tank of their kind taking their fuel type, else one implicit source per energy kind), its distance (km) and volume (litres, kWh or kg; partials included), whether it has an economy figure (and why not), the fuel types mixed in it and the volume share of each (blend).';

commit;
