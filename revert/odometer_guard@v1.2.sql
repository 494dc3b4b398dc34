-- Revert motovault:odometer_guard from pg: back to its @v1.1 definition (the deploy script of @v1.1)
-- requires: odometer_readings
--
-- Odometer consistency per vehicle over every source of readings:
--   app.tg_odometer_guard()   one AFTER trigger function for every source table: checks the reading
--                          against its neighbours in time within its reset segment and keeps
--                          vehicles.odometer_reading equal to the latest reading;
--   app.odometer_problem() the whole-vehicle check (a reset changes, tests, doctor);
--   vehicles.odometer_reading is maintained from the readings once a vehicle has any.

begin;

set local lock_timeout = '5s';

-- what the rework created; the @v1.1 script below creates its triggers again
drop trigger _100_odometer_guard_insert on app.fuel_logs;
drop trigger _100_odometer_guard_update on app.fuel_logs;
drop trigger _100_odometer_guard_insert on app.odometer_entries;
drop trigger _100_odometer_guard_update on app.odometer_entries;
drop trigger _100_odometer_guard_insert on app.maintenance;
drop trigger _100_odometer_guard_update on app.maintenance;
drop trigger _100_odometer_from_readings on app.vehicles;
drop function app.odometer_batch_problem(uuid, text, jsonb);
drop function app.sync_vehicle_odometers(uuid, uuid[]);

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

create or replace function app.tg_odometer_guard()
returns trigger
language plpgsql
as $$
declare
    new_is_reset boolean := false;
    old_is_reset boolean := false;
    new_km numeric;
    segment_start timestamp;
    segment_end timestamp;
    earlier_at timestamp;
    later_at timestamp;
    earlier record;
    later record;
    problem text;
begin
    if tg_table_name = 'odometer_entries' then
        new_is_reset := new.kind = 'reset';
        if tg_op = 'UPDATE' then
            old_is_reset := old.kind = 'reset';
        end if;
    end if;
    if new.odometer is null or new.read_at is null then
        if tg_op = 'UPDATE' and old.odometer is not null and old.read_at is not null then
            perform app.sync_vehicle_odometer(old.tenant_id, old.vehicle_id);
        end if;
        return null;
    end if;
    if tg_op = 'UPDATE'
       and new.vehicle_id = old.vehicle_id
       and new.read_at is not distinct from old.read_at
       and new.odometer is not distinct from old.odometer
       and new.odometer_unit is not distinct from old.odometer_unit
       and new.deleted_at is not distinct from old.deleted_at
       and new_is_reset = old_is_reset then
        return null;  -- nothing a reading depends on changed
    end if;

    -- one writer per vehicle at a time: two concurrent inserts cannot both pass the check
    perform pg_advisory_xact_lock(hashtextextended(new.vehicle_id::text, 1907));

    if new.deleted_at is not null then
        if old_is_reset or new_is_reset then
            problem := app.odometer_problem(new.tenant_id, new.vehicle_id);
        end if;
    elsif new_is_reset or old_is_reset then
        problem := app.odometer_problem(new.tenant_id, new.vehicle_id);
    else
        new_km := app.distance_in_km(new.odometer, new.odometer_unit);
        select max(r.read_at) into segment_start
        from app.odometer_readings as r
        where r.tenant_id = new.tenant_id and r.vehicle_id = new.vehicle_id and r.is_reset and r.read_at <= new.read_at;
        select min(r.read_at) into segment_end
        from app.odometer_readings as r
        where r.tenant_id = new.tenant_id and r.vehicle_id = new.vehicle_id and r.is_reset and r.read_at > new.read_at;

        -- nearest earlier and later reading times in this reset segment: each a Merge Append of index probes
        select max(r.read_at) into earlier_at
        from app.odometer_readings as r
        where r.tenant_id = new.tenant_id
          and r.vehicle_id = new.vehicle_id
          and r.read_at < new.read_at
          and r.read_at >= coalesce(segment_start, '-infinity');
        select min(r.read_at) into later_at
        from app.odometer_readings as r
        where r.tenant_id = new.tenant_id
          and r.vehicle_id = new.vehicle_id
          and r.read_at > new.read_at
          and r.read_at < coalesce(segment_end, 'infinity');
        if earlier_at is not null then
            select r.* into earlier
            from app.odometer_readings as r
            where r.tenant_id = new.tenant_id
              and r.vehicle_id = new.vehicle_id
              and r.read_at = earlier_at
            order by r.odometer_km desc
            limit 1;
            if earlier.odometer_km > new_km then
                problem := format('odometer: %s %s on %s is lower than %s %s recorded earlier on %s (%s)',
                                  new.odometer, new.odometer_unit, new.read_at, earlier.odometer, earlier.odometer_unit,
                                  earlier.read_at, earlier.source);
            end if;
        end if;
        if problem is null and later_at is not null then
            select r.* into later
            from app.odometer_readings as r
            where r.tenant_id = new.tenant_id
              and r.vehicle_id = new.vehicle_id
              and r.read_at = later_at
            order by r.odometer_km
            limit 1;
            if later.odometer_km < new_km then
                problem := format('odometer: %s %s on %s is higher than %s %s recorded later on %s (%s)',
                                  new.odometer, new.odometer_unit, new.read_at, later.odometer, later.odometer_unit,
                                  later.read_at, later.source);
            end if;
        end if;
    end if;

    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'odometer_readings_consistent',
            column = 'odometer',
            table = tg_table_name,
            message = problem,
            hint = 'Readings never go down over time. Check the reading and its date; if the instrument cluster was replaced, record an odometer_entries row of kind reset between them.';
    end if;

    if tg_op = 'INSERT' and not new_is_reset and later_at is not null then
        null;  -- a back-dated reading: the latest reading is unchanged
    elsif tg_op = 'INSERT' and not new_is_reset and segment_end is null then
        perform app.sync_vehicle_odometer(new.tenant_id, new.vehicle_id, new.read_at);  -- the new latest reading
    else
        perform app.sync_vehicle_odometer(new.tenant_id, new.vehicle_id);
    end if;
    if tg_op = 'UPDATE' and old.vehicle_id <> new.vehicle_id then
        perform app.sync_vehicle_odometer(old.tenant_id, old.vehicle_id);
    end if;
    return null;
end
$$;
comment on function app.tg_odometer_guard() is
    'AFTER INSERT OR UPDATE trigger of every table with odometer readings: refuses a reading lower than an earlier-dated one or higher than a later-dated one of the same vehicle (unless a reset entry lies between them), naming both, and keeps vehicles.odometer_reading equal to the latest reading.';

-- Their queries depend only on ids and times: one generic plan per connection instead of
-- re-planning the UNION ALL view (with its RLS quals) for every row.
alter function app.tg_odometer_guard() set plan_cache_mode = force_generic_plan;
alter function app.sync_vehicle_odometer(uuid, uuid, timestamp) set plan_cache_mode = force_generic_plan;

create trigger _100_odometer_guard after insert or update on app.fuel_logs
    for each row execute function app.tg_odometer_guard();
create trigger _100_odometer_guard after insert or update on app.odometer_entries
    for each row execute function app.tg_odometer_guard();
create trigger _100_odometer_guard after insert or update on app.maintenance
    for each row execute function app.tg_odometer_guard();

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
create trigger _100_odometer_from_readings before update of odometer_reading, odometer_unit on app.vehicles
    for each row execute function app.tg_vehicles_odometer_from_readings();

grant execute on function
    app.odometer_problem(uuid, uuid),
    app.sync_vehicle_odometer(uuid, uuid, timestamp)
    to app_user;

commit;
