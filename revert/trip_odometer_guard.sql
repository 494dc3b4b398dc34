-- Revert motovault:trip_odometer_guard from pg: back to its @v1.4 definition
--
-- app.tg_readings_trips_guard() as in deploy/trip_odometer_guard@v1.4.sql: every INSERT reads all
-- its readings into the batch before asking which vehicles have trips.

begin;

set local lock_timeout = '5s';

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

commit;
