-- Deploy motovault:odometer_guard to pg
-- requires: odometer_readings
--
-- Reworked after @v1.2 for bulk writes (docs/bulk.md). The guard's functions keep one generic plan
-- per connection (plan_cache_mode = force_generic_plan: planning the UNION ALL view with its RLS
-- quals on every statement cost more than running it). That plan is made on the first statement
-- of a connection; when the readings tables were small then (a fresh database, the first rows of
-- a load), it read them sequentially, and kept doing so on every statement as they grew: loading
-- 16,000 fill-ups through one connection read fuel_logs 822 times, 6.4M rows. And the batch check
-- joined its windows with all the tenant's readings (a hash join: every statement of a fleet read
-- the whole fleet's history). Now:
--   * app.odometer_batch_problem() reads each window's readings with a lateral lookup (an index
--     range scan on (tenant_id, vehicle_id, read_at) of every source);
--   * the three functions plan with enable_seqscan = off: each of their reads names a tenant and a
--     vehicle, which an index serves at every size, so the cached plan never scans a table.

begin;

set local lock_timeout = '5s';

create or replace function app.odometer_batch_problem(tenant uuid, source_table text, batch jsonb)
returns table (problem text, vehicle_id uuid, source text, row_id uuid)
language plpgsql
stable
as $$
begin
    return query
    -- batch: [{"v": vehicle, "lo": first read_at, "hi": last read_at, "whole": true when a reset is
    -- involved, "ids": [ids of source_table's rows written]}], all of one tenant. Readings from the
    -- one before lo to the one after hi are compared within their reset segments (the whole
    -- history when "whole"); readings outside that window were consistent with those at its edges.
    -- (materialized: each span's bounds and ids are computed once, not per reading joined)
    with spans as materialized (
        select (x ->> 'v')::uuid as vehicle_id,
               (x ->> 'lo')::timestamp as lo,
               (x ->> 'hi')::timestamp as hi,
               coalesce((x ->> 'whole')::boolean, false) as whole,
               array(select jsonb_array_elements_text(x -> 'ids'))::uuid[] as ids
        from jsonb_array_elements(batch) as x
    ),
    windows as materialized (
        select b.vehicle_id, b.ids, b.whole,
               case when b.whole then '-infinity'::timestamp else coalesce((
                   select max(r.read_at)
                   from app.odometer_readings as r
                   where r.tenant_id = tenant and r.vehicle_id = b.vehicle_id and r.read_at < b.lo), '-infinity')
               end as from_at,
               case when b.whole then 'infinity'::timestamp else coalesce((
                   select min(r.read_at)
                   from app.odometer_readings as r
                   where r.tenant_id = tenant and r.vehicle_id = b.vehicle_id and r.read_at > b.hi), 'infinity')
               end as to_at
        from spans as b
    ),
    segmented as (
        select r.vehicle_id, r.source, r.id, r.read_at, r.odometer, r.odometer_unit, r.odometer_km,
               r.source = source_table and r.id = any (w.ids) as is_new, w.whole,
               count(*) filter (where r.is_reset) over (
                   partition by r.vehicle_id order by r.read_at range between unbounded preceding and current row
               ) as segment
        from windows as w
        -- per window, its vehicle's readings in that window: an index range scan of each source
        -- (offset 0 keeps it a lateral lookup: joined as a whole it hashed the tenant's readings)
        cross join lateral (
            select x.*
            from app.odometer_readings as x
            where x.tenant_id = tenant
              and x.vehicle_id = w.vehicle_id
              and x.read_at >= w.from_at
              and x.read_at <= w.to_at
            offset 0
        ) as r
    ),
    checked as (
        select s.*,
               max(s.odometer_km) over (
                   partition by s.vehicle_id, s.segment
                   order by s.read_at
                   range between unbounded preceding and current row exclude group
               ) as earlier_max
        from segmented as s
    )
    -- c: a reading lower than one dated before it (e) in its segment; one of the two was written now
    -- (or a reset changed: any pair of the vehicle)
    select case
               when c.is_new then format('odometer: %s %s on %s is lower than %s %s recorded earlier on %s (%s)',
                                         c.odometer, c.odometer_unit, c.read_at, e.odometer, e.odometer_unit, e.read_at, e.source)
               else format('odometer: %s %s on %s is higher than %s %s recorded later on %s (%s)',
                           e.odometer, e.odometer_unit, e.read_at, c.odometer, c.odometer_unit, c.read_at, c.source)
           end,
           c.vehicle_id,
           case when c.is_new then c.source else e.source end,
           case when c.is_new then c.id else e.id end
    from checked as c
    cross join lateral (
        select s2.*
        from segmented as s2
        where s2.vehicle_id = c.vehicle_id
          and s2.segment = c.segment
          and s2.read_at < c.read_at
          and s2.odometer_km > c.odometer_km
          and (c.is_new or s2.is_new or c.whole)
        order by s2.read_at desc, s2.odometer_km desc
        limit 1
    ) as e
    where c.odometer_km < c.earlier_max
    order by case when c.is_new then c.read_at else e.read_at end, c.read_at
    limit 1;
end
$$;
comment on function app.odometer_batch_problem(uuid, text, jsonb) is
    'The first odometer inconsistency a batch of readings of source_table (one tenant; per vehicle: the time span written, the ids, whether a reset is involved) brings: a reading lower than an earlier-dated one or higher than a later-dated one within a reset segment, naming both readings, the vehicle and the row written. No row when the batch is consistent.';

-- (create or replace drops the settings of a function: its generic plan again)
alter function app.odometer_batch_problem(uuid, text, jsonb) set plan_cache_mode = force_generic_plan;
alter function app.odometer_batch_problem(uuid, text, jsonb) set enable_seqscan = off;
alter function app.sync_vehicle_odometers(uuid, uuid[]) set enable_seqscan = off;
alter function app.sync_vehicle_odometer(uuid, uuid, timestamp) set enable_seqscan = off;

commit;
