-- Deploy motovault:odometer_guard to pg
-- requires: odometer_readings
--
-- Odometer consistency per vehicle over every source of readings:
--   app.tg_odometer_guard()   one AFTER trigger function, per statement, for every source table:
--                          checks the readings written against their neighbours in time within
--                          their reset segments (app.odometer_batch_problem) and keeps
--                          vehicles.odometer_reading equal to the latest reading
--                          (app.sync_vehicle_odometers);
--   app.odometer_problem() the whole-vehicle check (a reset changes, tests, doctor);
--   vehicles.odometer_reading is maintained from the readings once a vehicle has any.
--
-- Reworked after @v1.1 for bulk writes (docs/bulk.md): per statement instead of per row. The trigger
-- reads its transition tables alone into one jsonb value, then per tenant runs queries filtered by
-- that tenant (Citus: a transition table is never joined with a distributed table).

begin;

set local lock_timeout = '5s';

-- the whole-vehicle check (used when a reset changes, and by tests / doctor) -------------------------

create or replace function app.odometer_problem(tenant uuid, vehicle uuid)
returns text
language sql
stable
as $$
    with segmented as (
        select r.*,
               count(*) filter (where r.is_reset) over (order by r.read_at range between unbounded preceding and current row) as segment
        from app.odometer_readings as r
        where r.tenant_id = tenant
          and r.vehicle_id = vehicle
    ),
    checked as (
        select s.*,
               max(s.odometer_km) over (
                   partition by s.segment
                   order by s.read_at
                   range between unbounded preceding and current row exclude group
               ) as earlier_max
        from segmented as s
    )
    select format('odometer: %s %s on %s (%s) is lower than %s %s recorded earlier on %s (%s)',
                  c.odometer, c.odometer_unit, c.read_at, c.source, e.odometer, e.odometer_unit, e.read_at, e.source)
    from checked as c
    cross join lateral (
        select s2.*
        from segmented as s2
        where s2.segment = c.segment
          and s2.read_at < c.read_at
          and s2.odometer_km = c.earlier_max
        limit 1
    ) as e
    where c.odometer_km < c.earlier_max
    order by c.read_at
    limit 1
$$;
comment on function app.odometer_problem(uuid, uuid) is
    'NULL when every reading of the vehicle is at least every earlier-dated reading since the last reset entry; otherwise a message naming the first offending pair.';

-- the trigger every reading source gets --------------------------------------------------------------

create or replace function app.sync_vehicle_odometer(tenant uuid, vehicle uuid, latest_at timestamp default null)
returns void
language plpgsql
as $$
declare
    latest record;
begin
    select r.odometer, r.odometer_unit, r.odometer_km into latest
    from app.odometer_readings as r
    where r.tenant_id = tenant
      and r.vehicle_id = vehicle
      and r.read_at = coalesce(latest_at, (
          select max(r2.read_at)
          from app.odometer_readings as r2
          where r2.tenant_id = tenant
            and r2.vehicle_id = vehicle))
    order by r.odometer_km desc
    limit 1;
    if not found then
        return;
    end if;
    perform set_config('motovault.odometer_sync', 'on', true);
    update app.vehicles as v
    set odometer_reading = case
            when v.odometer_unit = latest.odometer_unit then latest.odometer
            when v.odometer_unit = 'mi' then round(latest.odometer_km / 1.609344)::integer
            else round(latest.odometer_km)::integer
        end
    where v.tenant_id = tenant
      and v.id = vehicle
      and v.odometer_reading is distinct from case
            when v.odometer_unit = latest.odometer_unit then latest.odometer
            when v.odometer_unit = 'mi' then round(latest.odometer_km / 1.609344)::integer
            else round(latest.odometer_km)::integer
        end;
    perform set_config('motovault.odometer_sync', '', true);
end
$$;
comment on function app.sync_vehicle_odometer(uuid, uuid, timestamp) is 'Sets vehicles.odometer_reading to the latest live reading (converted to the vehicle''s unit); latest_at, when the caller knows it, saves looking for the latest time.';

-- the set-based check of a batch ------------------------------------------------------------------

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
        join app.odometer_readings as r
          on r.tenant_id = tenant
         and r.vehicle_id = w.vehicle_id
         and r.read_at >= w.from_at
         and r.read_at <= w.to_at
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

create or replace function app.sync_vehicle_odometers(tenant uuid, vehicles uuid[])
returns void
language plpgsql
as $$
begin
    perform set_config('motovault.odometer_sync', 'on', true);
    update app.vehicles as v
    set odometer_reading = case
            when v.odometer_unit = l.odometer_unit then l.odometer
            when v.odometer_unit = 'mi' then round(l.odometer_km / 1.609344)::integer
            else round(l.odometer_km)::integer
        end
    from unnest(vehicles) as a(vehicle_id)
    cross join lateral (
        select max(r.read_at) as read_at
        from app.odometer_readings as r
        where r.tenant_id = tenant and r.vehicle_id = a.vehicle_id
    ) as m
    cross join lateral (
        select r.odometer, r.odometer_unit, r.odometer_km
        from app.odometer_readings as r
        where r.tenant_id = tenant and r.vehicle_id = a.vehicle_id and r.read_at = m.read_at
        order by r.odometer_km desc
        limit 1
    ) as l
    where v.tenant_id = tenant
      and v.id = a.vehicle_id
      and v.odometer_reading is distinct from case
            when v.odometer_unit = l.odometer_unit then l.odometer
            when v.odometer_unit = 'mi' then round(l.odometer_km / 1.609344)::integer
            else round(l.odometer_km)::integer
        end;
    perform set_config('motovault.odometer_sync', '', true);
end
$$;
comment on function app.sync_vehicle_odometers(uuid, uuid[]) is
    'Sets vehicles.odometer_reading of the tenant''s vehicles to their latest live reading (converted to each vehicle''s unit), in one UPDATE; a vehicle without readings keeps its value.';

-- the trigger every reading source gets, per statement -------------------------------------------

create or replace function app.tg_odometer_guard()
returns trigger
language plpgsql
as $$
declare
    entries constant boolean := tg_table_name = 'odometer_entries';
    work jsonb;
    tenant text;
    found_problem record;
begin
    if tg_level <> 'STATEMENT' then
        raise exception using
            errcode = 'feature_not_supported',
            message = format('app.tg_odometer_guard() on %s: a statement trigger, not a row trigger', tg_table_name),
            hint = 'Attach it as _100_odometer_guard_insert (after insert, referencing new table as new_rows) and _100_odometer_guard_update (after update, referencing old table as old_rows new table as new_rows), for each statement.';
    end if;
    -- 1. the transition tables alone, read into one local value: per (tenant, vehicle) the span of
    --    readings written, their ids, whether a reset is involved (whole history), whether to check
    --    (a reading removed or moved away only changes the vehicle's latest reading)
    if tg_op = 'INSERT' then
        select jsonb_agg(jsonb_build_object('t', g.tenant_id, 'v', g.vehicle_id, 'lo', g.lo, 'hi', g.hi,
                                            'whole', g.whole, 'check', true, 'ids', g.ids))
        into work
        from (
            select n.tenant_id, n.vehicle_id, min(n.read_at) as lo, max(n.read_at) as hi,
                   bool_or(entries and to_jsonb(n) ->> 'kind' = 'reset') as whole,
                   jsonb_agg(n.id) as ids
            from new_rows as n
            where n.odometer is not null and n.read_at is not null and n.deleted_at is null
            group by n.tenant_id, n.vehicle_id
        ) as g;
    else
        with o as (
            select r.tenant_id, r.id, r.vehicle_id, r.read_at, r.odometer, r.odometer_unit, r.deleted_at,
                   entries and to_jsonb(r) ->> 'kind' = 'reset' as is_reset
            from old_rows as r
        ),
        n as (
            select r.tenant_id, r.id, r.vehicle_id, r.read_at, r.odometer, r.odometer_unit, r.deleted_at,
                   entries and to_jsonb(r) ->> 'kind' = 'reset' as is_reset
            from new_rows as r
        ),
        changed as (
            -- rows whose reading changed (a change of notes or cost checks nothing)
            select n.*, o.vehicle_id as old_vehicle_id, o.is_reset as old_is_reset,
                   o.read_at is not null and o.odometer is not null as old_has_reading
            from n
            join o on o.tenant_id = n.tenant_id and o.id = n.id
            where (n.vehicle_id, n.read_at, n.odometer, n.odometer_unit, n.deleted_at, n.is_reset)
                  is distinct from (o.vehicle_id, o.read_at, o.odometer, o.odometer_unit, o.deleted_at, o.is_reset)
        ),
        touched as (
            -- the new reading, checked (the whole history when a reset is or was involved)
            select c.tenant_id, c.vehicle_id, c.read_at, c.is_reset or c.old_is_reset as whole,
                   c.deleted_at is null and c.read_at is not null and c.odometer is not null as live, c.id
            from changed as c
            union all
            -- the vehicle it left, or the reading it no longer is
            select c.tenant_id, c.old_vehicle_id, null, c.old_is_reset, false, null
            from changed as c
            where c.old_has_reading
              and (c.old_vehicle_id <> c.vehicle_id or c.deleted_at is not null or c.read_at is null or c.odometer is null)
        )
        select jsonb_agg(jsonb_build_object('t', g.tenant_id, 'v', g.vehicle_id, 'lo', g.lo, 'hi', g.hi,
                                            'whole', g.whole, 'check', g.whole or g.lo is not null, 'ids', g.ids))
        into work
        from (
            select t.tenant_id, t.vehicle_id,
                   min(t.read_at) filter (where t.live) as lo,
                   max(t.read_at) filter (where t.live) as hi,
                   bool_or(t.whole) as whole,
                   coalesce(jsonb_agg(t.id) filter (where t.live), '[]') as ids
            from touched as t
            group by t.tenant_id, t.vehicle_id
        ) as g;
    end if;
    if work is null then
        return null;  -- no reading written
    end if;

    -- 2. per tenant of the statement, queries filtered by that tenant only
    for tenant in select distinct w ->> 't' from jsonb_array_elements(work) as w order by 1 loop
        -- one writer per vehicle at a time (in a fixed order: two batches cannot deadlock), so
        -- two concurrent writes cannot both pass the check
        perform pg_advisory_xact_lock(hashtextextended(v.vehicle, 1907))
        from (
            select distinct w ->> 'v' as vehicle
            from jsonb_array_elements(work) as w
            where w ->> 't' = tenant
            order by 1
        ) as v;
        select * into found_problem
        from app.odometer_batch_problem(
            tenant::uuid, tg_table_name,
            (select jsonb_agg(w) from jsonb_array_elements(work) as w
             where w ->> 't' = tenant and (w ->> 'check')::boolean))
        limit 1;
        if found_problem.problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'odometer_readings_consistent',
                column = 'odometer',
                table = tg_table_name,
                message = found_problem.problem,
                detail = format('vehicle %s, %s row %s', found_problem.vehicle_id, found_problem.source, found_problem.row_id),
                hint = 'Readings never go down over time. Check the reading and its date; if the instrument cluster was replaced, record an odometer_entries row of kind reset between them.';
        end if;
        perform app.sync_vehicle_odometers(
            tenant::uuid,
            array(select distinct (w ->> 'v')::uuid from jsonb_array_elements(work) as w where w ->> 't' = tenant));
    end loop;
    return null;
end
$$;
comment on function app.tg_odometer_guard() is
    'AFTER INSERT and AFTER UPDATE trigger, per statement, of every table with odometer readings (_100_odometer_guard_insert, _100_odometer_guard_update): reads the transition tables into one value, then per tenant refuses the statement when a reading written is lower than an earlier-dated one or higher than a later-dated one of the same vehicle (unless a reset entry lies between them), naming both readings, the vehicle and the row (detail), and keeps vehicles.odometer_reading equal to the latest reading. Nothing of the statement is written when one row is refused.';

-- Their queries depend only on ids and times: one generic plan per connection instead of
-- re-planning the UNION ALL view (with its RLS quals) for every statement.
alter function app.sync_vehicle_odometer(uuid, uuid, timestamp) set plan_cache_mode = force_generic_plan;
alter function app.odometer_batch_problem(uuid, text, jsonb) set plan_cache_mode = force_generic_plan;
alter function app.sync_vehicle_odometers(uuid, uuid[]) set plan_cache_mode = force_generic_plan;

-- the row triggers of @v1.1 become statement triggers (transition tables: one event each)
drop trigger _100_odometer_guard on app.fuel_logs;
drop trigger _100_odometer_guard on app.odometer_entries;
drop trigger _100_odometer_guard on app.maintenance;
create trigger _100_odometer_guard_insert after insert on app.fuel_logs
    referencing new table as new_rows for each statement execute function app.tg_odometer_guard();
create trigger _100_odometer_guard_update after update on app.fuel_logs
    referencing old table as old_rows new table as new_rows for each statement execute function app.tg_odometer_guard();
create trigger _100_odometer_guard_insert after insert on app.odometer_entries
    referencing new table as new_rows for each statement execute function app.tg_odometer_guard();
create trigger _100_odometer_guard_update after update on app.odometer_entries
    referencing old table as old_rows new table as new_rows for each statement execute function app.tg_odometer_guard();
create trigger _100_odometer_guard_insert after insert on app.maintenance
    referencing new table as new_rows for each statement execute function app.tg_odometer_guard();
create trigger _100_odometer_guard_update after update on app.maintenance
    referencing old table as old_rows new table as new_rows for each statement execute function app.tg_odometer_guard();

-- vehicles.odometer_reading is the latest reading once a vehicle has readings ------------------------

create or replace function app.tg_vehicles_odometer_from_readings()
returns trigger
language plpgsql
as $$
declare
    latest record;
begin
    if new.odometer_unit is distinct from old.odometer_unit then
        -- the unit changes: the latest reading, converted to the new unit
        select r.odometer, r.odometer_unit, r.odometer_km into latest
        from app.odometer_readings as r
        where r.tenant_id = new.tenant_id
          and r.vehicle_id = new.id
          and r.read_at = (
              select max(r2.read_at)
              from app.odometer_readings as r2
              where r2.tenant_id = new.tenant_id
                and r2.vehicle_id = new.id)
        order by r.odometer_km desc
        limit 1;
        if found then
            new.odometer_reading := case
                when new.odometer_unit = latest.odometer_unit then latest.odometer
                when new.odometer_unit = 'mi' then round(latest.odometer_km / 1.609344)::integer
                else round(latest.odometer_km)::integer
            end;
        end if;
        return new;
    end if;
    if new.odometer_reading is distinct from old.odometer_reading
       and coalesce(current_setting('motovault.odometer_sync', true), '') <> 'on'
       and exists (
           select from app.odometer_readings as r
           where r.tenant_id = new.tenant_id and r.vehicle_id = new.id
       ) then
        raise exception using
            errcode = 'check_violation',
            constraint = 'vehicles_odometer_reading_is_latest_reading',
            column = 'odometer_reading',
            message = format('odometer_reading: maintained from the vehicle''s readings (latest %s %s); it cannot be set directly',
                             old.odometer_reading, old.odometer_unit),
            hint = 'Record a reading in odometer_entries (or a fill-up / service) instead.';
    end if;
    return new;
end
$$;
comment on function app.tg_vehicles_odometer_from_readings() is
    'BEFORE UPDATE on vehicles: once a vehicle has readings, odometer_reading is set only by the database (the latest reading, converted when odometer_unit changes).';
-- (its trigger _100_odometer_from_readings is unchanged since @v1.1)

grant execute on function
    app.odometer_problem(uuid, uuid),
    app.sync_vehicle_odometer(uuid, uuid, timestamp),
    app.odometer_batch_problem(uuid, text, jsonb),
    app.sync_vehicle_odometers(uuid, uuid[])
    to app_user;

commit;
