-- Deploy motovault:trip_odometer_guard to pg
-- requires: trips
-- requires: odometer_guard
--
-- Trips and the odometer agree both ways. A trip is two readings (start_odometer at started_at,
-- end_odometer at ended_at) and every reading taken during it lies between them. The trips guard
-- (change trips) already refuses a trip whose start is below the reading before it or whose end is
-- above the reading after it; this change adds, as statement-level triggers of their own:
--   on app.trips: a reading taken during the trip (started_at < read_at < ended_at) outside
--     [start_odometer, end_odometer] refuses the trip;
--   on every reading source (fuel_logs, odometer_entries, maintenance): a reading written is compared
--     with the effective trips next to it in time (the last one starting before it, the first one
--     starting at or after it): it may not be above the start of a later trip, below the end of an
--     earlier one, or outside a trip it falls in; when a reset entry changes, every trip of the
--     vehicle is checked again. A reset entry between a reading and a trip separates them.
-- Reversed trips and reversals carry no reading (the counter-entry says the figures were wrong).
-- Tolerance 0.5 km, as the trips guard (readings in mi and km are compared in km).

begin;

set local lock_timeout = '5s';

create or replace function app.odometer_reset_between(tenant uuid, vehicle uuid, after_at timestamp, through_at timestamp)
returns boolean
language sql
stable
as $$
    select exists (
        select from app.odometer_entries as e
        where e.tenant_id = tenant
          and e.vehicle_id = vehicle
          and e.kind = 'reset'
          and e.deleted_at is null
          and e.read_at > after_at
          and e.read_at <= through_at)
$$;
comment on function app.odometer_reset_between(uuid, uuid, timestamp, timestamp) is
    'Whether a live odometer reset entry of the vehicle lies in (after_at, through_at]: readings on either side are not compared.';

create or replace function app.readings_trips_problem(tenant uuid, batch jsonb)
returns table (problem text, vehicle_id uuid, source text, row_id uuid)
language plpgsql
stable
as $$
begin
    return query
    -- batch: [{"v": vehicle, "at": read_at, "o": odometer, "u": unit, "r": is a reset, "id": id,
    -- "src": source table}], readings written now, all of one tenant
    with given as materialized (
        select (x ->> 'v')::uuid as vehicle_id, (x ->> 'at')::timestamp as read_at, (x ->> 'o')::integer as odometer,
               x ->> 'u' as odometer_unit, app.distance_in_km((x ->> 'o')::integer, x ->> 'u') as km,
               coalesce((x ->> 'r')::boolean, false) as is_reset, (x ->> 'id')::uuid as id, x ->> 'src' as source
        from jsonb_array_elements(batch) as x
    ),
    with_trips as materialized (
        -- one probe per vehicle: a vehicle without trips costs nothing more
        select v.vehicle_id
        from (select distinct g.vehicle_id from given as g) as v
        where exists (select from app.trips as t
                      where t.tenant_id = tenant and t.vehicle_id = v.vehicle_id and t.deleted_at is null)
    ),
    neighbours as (
        select g.*, b.id as b_id, b.started_at as b_started_at, b.ended_at as b_ended_at,
               b.start_odometer as b_start, b.end_odometer as b_end, b.odometer_unit as b_unit,
               app.distance_in_km(b.start_odometer, b.odometer_unit) as b_start_km,
               app.distance_in_km(b.end_odometer, b.odometer_unit) as b_end_km,
               a.id as a_id, a.started_at as a_started_at, a.start_odometer as a_start, a.odometer_unit as a_unit,
               app.distance_in_km(a.start_odometer, a.odometer_unit) as a_start_km
        from given as g
        join with_trips using (vehicle_id)
        -- b: the last effective trip starting before the reading (it contains the reading or ended before)
        left join lateral (
            select t.*
            from app.trips as t
            where t.tenant_id = tenant and t.vehicle_id = g.vehicle_id and t.deleted_at is null
              and t.started_at < g.read_at and t.kind <> 'reversal'
              and app.trip_is_effective(tenant, t.id, t.kind)
            order by t.started_at desc
            limit 1
        ) as b on true
        -- a: the first effective trip starting at or after the reading
        left join lateral (
            select t.*
            from app.trips as t
            where t.tenant_id = tenant and t.vehicle_id = g.vehicle_id and t.deleted_at is null
              and t.started_at >= g.read_at and t.kind <> 'reversal'
              and app.trip_is_effective(tenant, t.id, t.kind)
            order by t.started_at
            limit 1
        ) as a on true
    ),
    problems as (
        select n.read_at, n.vehicle_id, n.source, n.id,
               format('odometer: %s %s on %s (%s) is higher than the start of trip %s (%s %s at %s)',
                      n.odometer, n.odometer_unit, n.read_at, n.source, n.a_id, n.a_start, n.a_unit, n.a_started_at) as problem
        from neighbours as n
        where n.a_id is not null
          and n.km > n.a_start_km + 0.5
          and not app.odometer_reset_between(tenant, n.vehicle_id, n.read_at, n.a_started_at)
        union all
        select n.read_at, n.vehicle_id, n.source, n.id,
               format('odometer: %s %s on %s (%s) is lower than the end of trip %s (%s %s at %s)',
                      n.odometer, n.odometer_unit, n.read_at, n.source, n.b_id, n.b_end, n.b_unit, n.b_ended_at)
        from neighbours as n
        where n.b_id is not null
          and not n.is_reset
          and n.b_ended_at <= n.read_at
          and n.km < n.b_end_km - 0.5
          and not app.odometer_reset_between(tenant, n.vehicle_id, n.b_ended_at, n.read_at)
        union all
        select n.read_at, n.vehicle_id, n.source, n.id,
               format('odometer: %s %s on %s (%s) lies outside trip %s (%s - %s %s, %s - %s)',
                      n.odometer, n.odometer_unit, n.read_at, n.source, n.b_id, n.b_start, n.b_end, n.b_unit,
                      n.b_started_at, n.b_ended_at)
        from neighbours as n
        where n.b_id is not null
          and not n.is_reset
          and n.b_ended_at > n.read_at
          and (n.km < n.b_start_km - 0.5 or n.km > n.b_end_km + 0.5)
          and not app.odometer_reset_between(tenant, n.vehicle_id, n.b_started_at, n.read_at)
    )
    select p.problem, p.vehicle_id, p.source, p.id
    from problems as p
    order by p.read_at, p.id
    limit 1;
end
$$;
comment on function app.readings_trips_problem(uuid, jsonb) is
    'The first odometer reading of a batch (one tenant) that contradicts the effective trips next to it in time: above the start of the next trip, below the end of the previous one, or outside a trip it falls in (0.5 km tolerance; a reset entry between them separates them). No row when the batch fits.';
alter function app.readings_trips_problem(uuid, jsonb) set plan_cache_mode = force_generic_plan;

create or replace function app.trip_window_problem(tenant uuid, vehicle uuid, ids uuid[])
returns text
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        select case
                   when r.odometer_km < app.distance_in_km(t.start_odometer, t.odometer_unit)
                   then format('start_odometer: %s %s at %s (trip %s) is higher than %s %s read on %s during the trip (%s)',
                               t.start_odometer, t.odometer_unit, t.started_at, t.id, r.odometer, r.odometer_unit, r.read_at, r.source)
                   else format('end_odometer: %s %s at %s (trip %s) is lower than %s %s read on %s during the trip (%s)',
                               t.end_odometer, t.odometer_unit, t.ended_at, t.id, r.odometer, r.odometer_unit, r.read_at, r.source)
               end
        from app.trips as t
        cross join lateral (
            select r.*
            from app.odometer_readings as r
            where r.tenant_id = tenant
              and r.vehicle_id = vehicle
              and r.read_at > t.started_at
              and r.read_at < t.ended_at
              and not r.is_reset
              and (r.odometer_km < app.distance_in_km(t.start_odometer, t.odometer_unit) - 0.5
                   or r.odometer_km > app.distance_in_km(t.end_odometer, t.odometer_unit) + 0.5)
              and not app.odometer_reset_between(tenant, vehicle, t.started_at, r.read_at)
            order by r.read_at
            limit 1
        ) as r
        where t.tenant_id = tenant
          and t.vehicle_id = vehicle
          and t.id = any (ids)
          and t.deleted_at is null
          and t.kind <> 'reversal'
          and app.trip_is_effective(tenant, t.id, t.kind)
        order by t.started_at
        limit 1
    );
end
$$;
comment on function app.trip_window_problem(uuid, uuid, uuid[]) is
    'The first of the given effective trips of a vehicle with an odometer reading taken during it (strictly between started_at and ended_at, no reset between) outside [start_odometer, end_odometer] (0.5 km tolerance), or NULL.';
alter function app.trip_window_problem(uuid, uuid, uuid[]) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

create or replace function app.tg_trips_odometer_guard()
returns trigger
language plpgsql
as $$
declare
    touched record;
    problem text;
begin
    -- the transition table alone into arrays: per tenant and vehicle the trips written
    for touched in
        select n.tenant_id, n.vehicle_id, array_agg(n.id) as ids
        from new_rows as n
        where n.deleted_at is null and n.kind <> 'reversal'
        group by n.tenant_id, n.vehicle_id
        order by n.tenant_id, n.vehicle_id
    loop
        problem := app.trip_window_problem(touched.tenant_id, touched.vehicle_id, touched.ids);
        if problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'trips_consistent',
                column = split_part(problem, ':', 1),
                table = 'trips',
                message = problem,
                hint = 'Every odometer reading taken during a trip lies between its start_odometer and end_odometer.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_trips_odometer_guard() is
    'Statement-level AFTER INSERT / UPDATE trigger of trips (transition table new_rows): refuses the statement when a reading taken during one of its effective trips lies outside the trip''s odometer range (app.trip_window_problem), naming the first.';

create trigger _110_odometer_window_guard_insert after insert on app.trips
    referencing new table as new_rows
    for each statement execute function app.tg_trips_odometer_guard();
create trigger _110_odometer_window_guard_update after update on app.trips
    referencing old table as old_rows new table as new_rows
    for each statement execute function app.tg_trips_odometer_guard();

create or replace function app.tg_readings_trips_guard()
returns trigger
language plpgsql
as $$
-- tg_argv[0]: 'resets' when the table's rows of kind reset are reset entries (odometer_entries)
declare
    resets constant boolean := coalesce(tg_argv[0], '') = 'resets';
    work jsonb;
    tenant text;
    found_problem record;
    vehicle uuid;
    problem text;
begin
    -- 1. the transition tables alone, into one local value: the readings written, and the vehicles
    --    whose reset entries changed (every trip of them is checked again)
    if tg_op = 'INSERT' then
        select jsonb_agg(jsonb_build_object('t', n.tenant_id, 'v', n.vehicle_id, 'at', n.read_at, 'o', n.odometer,
                                            'u', n.odometer_unit, 'r', resets and to_jsonb(n) ->> 'kind' = 'reset',
                                            'id', n.id, 'src', tg_table_name))
        into work
        from new_rows as n
        where n.deleted_at is null and n.read_at is not null and n.odometer is not null;
    else
        with o as (
            select r.tenant_id, r.id, r.vehicle_id, r.read_at, r.odometer, r.odometer_unit, r.deleted_at,
                   resets and to_jsonb(r) ->> 'kind' = 'reset' as is_reset
            from old_rows as r
        ),
        n as (
            select r.tenant_id, r.id, r.vehicle_id, r.read_at, r.odometer, r.odometer_unit, r.deleted_at,
                   resets and to_jsonb(r) ->> 'kind' = 'reset' as is_reset
            from new_rows as r
        ),
        changed as (
            select n.*, o.vehicle_id as old_vehicle_id, o.is_reset as old_is_reset
            from n
            join o on o.tenant_id = n.tenant_id and o.id = n.id
            where (n.vehicle_id, n.read_at, n.odometer, n.odometer_unit, n.deleted_at, n.is_reset)
                  is distinct from (o.vehicle_id, o.read_at, o.odometer, o.odometer_unit, o.deleted_at, o.is_reset)
        )
        select jsonb_agg(x)
        into work
        from (
            select jsonb_build_object('t', c.tenant_id, 'v', c.vehicle_id, 'at', c.read_at, 'o', c.odometer,
                                      'u', c.odometer_unit, 'r', c.is_reset, 'id', c.id, 'src', tg_table_name) as x
            from changed as c
            where c.deleted_at is null and c.read_at is not null and c.odometer is not null
            union all
            select jsonb_build_object('t', c.tenant_id, 'v', c.old_vehicle_id, 'whole', true)
            from changed as c
            where c.old_is_reset
        ) as w;
    end if;
    if work is null then
        return null;
    end if;

    -- 2. per tenant of the statement, queries filtered by that tenant
    for tenant in select distinct w ->> 't' from jsonb_array_elements(work) as w order by 1 loop
        select * into found_problem
        from app.readings_trips_problem(
            tenant::uuid,
            coalesce((select jsonb_agg(w) from jsonb_array_elements(work) as w
                      where w ->> 't' = tenant and w ->> 'whole' is null), '[]'))
        limit 1;
        if found_problem.problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'odometer_readings_fit_trips',
                column = 'odometer',
                table = tg_table_name,
                message = found_problem.problem,
                detail = format('vehicle %s, %s row %s', found_problem.vehicle_id, found_problem.source, found_problem.row_id),
                hint = 'A reading fits the mileage log: not above the start of a later trip, not below the end of an earlier one, within a trip it falls in. Check the reading and its date, or reverse and correct the trip.';
        end if;
        for vehicle in
            select distinct (w ->> 'v')::uuid from jsonb_array_elements(work) as w
            where w ->> 't' = tenant and w ->> 'whole' is not null
            order by 1
        loop
            -- a reset changed: every effective trip of the vehicle against the readings again
            problem := coalesce(
                app.trips_problem(tenant::uuid, vehicle,
                                  array(select t.id from app.trips as t
                                        where t.tenant_id = tenant::uuid and t.vehicle_id = vehicle and t.deleted_at is null
                                          and t.kind <> 'reversal' and app.trip_is_effective(tenant::uuid, t.id, t.kind)),
                                  date '-infinity'),
                app.trip_window_problem(tenant::uuid, vehicle,
                                        array(select t.id from app.trips as t
                                              where t.tenant_id = tenant::uuid and t.vehicle_id = vehicle and t.deleted_at is null)));
            if problem is not null then
                raise exception using
                    errcode = 'check_violation',
                    constraint = 'odometer_readings_fit_trips',
                    column = 'odometer',
                    table = tg_table_name,
                    message = format('odometer: without this reset entry a trip no longer fits the readings: %s', problem),
                    hint = 'A reset entry separates the readings before and after it; keep it, or correct the trips first.';
            end if;
        end loop;
    end loop;
    return null;
end
$$;
comment on function app.tg_readings_trips_guard() is
    'Statement-level AFTER INSERT / UPDATE trigger (transition tables new_rows, old_rows) of every table with odometer readings; argument resets when its rows of kind reset are reset entries. Refuses the statement when a reading written contradicts the effective trips next to it (app.readings_trips_problem), or when a changed reset entry leaves a trip inconsistent; nothing of the statement is written.';

create trigger _110_trips_guard_insert after insert on app.fuel_logs
    referencing new table as new_rows for each statement execute function app.tg_readings_trips_guard();
create trigger _110_trips_guard_update after update on app.fuel_logs
    referencing old table as old_rows new table as new_rows for each statement execute function app.tg_readings_trips_guard();
create trigger _110_trips_guard_insert after insert on app.odometer_entries
    referencing new table as new_rows for each statement execute function app.tg_readings_trips_guard('resets');
create trigger _110_trips_guard_update after update on app.odometer_entries
    referencing old table as old_rows new table as new_rows for each statement execute function app.tg_readings_trips_guard('resets');
create trigger _110_trips_guard_insert after insert on app.maintenance
    referencing new table as new_rows for each statement execute function app.tg_readings_trips_guard();
create trigger _110_trips_guard_update after update on app.maintenance
    referencing old table as old_rows new table as new_rows for each statement execute function app.tg_readings_trips_guard();

grant execute on function
    app.odometer_reset_between(uuid, uuid, timestamp, timestamp),
    app.readings_trips_problem(uuid, jsonb),
    app.trip_window_problem(uuid, uuid, uuid[])
    to app_user;

commit;
