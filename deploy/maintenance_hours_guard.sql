-- Deploy motovault:maintenance_hours_guard to pg
-- requires: service_hours
-- requires: maintenance
-- requires: hour_readings
--
-- Maintenance hours against the hour meter, as the odometer guard does for distances: a completed
-- maintenance record at hours H on date D (hour_meter M) is one more reading of meter M, so it must fit
-- the meter's history within its reset segment (no reading or record before D higher than H, none after
-- D lower than H). Checked both ways, per statement:
--   writes of app.maintenance: each record written against the meter's readings and other records;
--   writes of app.hour_readings: each reading written against the meter's maintenance records (the
--   readings among themselves stay the hour_readings guard's job), and when a reset entry is removed,
--   moved or changed, every record of that meter against the readings.
-- app.hour_meter_readings is every hour reading of every source (readings and maintenance records), the
-- view clients and tests read to see the history a check compares with.

begin;

set local lock_timeout = '5s';

create or replace view app.hour_meter_readings
with (security_invoker = true)
as
select r.tenant_id, r.vehicle_id, r.meter, r.source, r.id, r.read_at, r.hours, r.is_reset
from (
    select tenant_id, vehicle_id, meter, 'hour_readings'::text as source, id, read_at, hours,
           kind = 'reset' as is_reset, deleted_at
    from app.hour_readings
    union all
    select tenant_id, vehicle_id, hour_meter, 'maintenance'::text, id, read_at, hours, false, deleted_at
    from app.maintenance
) as r
where r.deleted_at is null
  and r.read_at is not null
  and r.hours is not null
  and r.meter is not null;
comment on view app.hour_meter_readings is
    'Every live hour meter reading of every vehicle, one UNION ALL branch per source (hour_readings, maintenance records with hours), reset entries flagged.';

create or replace view api.hour_meter_readings
with (security_invoker = true)
as
select vehicle_id, meter, source, id, read_at, hours, is_reset
from app.hour_meter_readings;
comment on view api.hour_meter_readings is
    'Every hour meter reading of the active tenant''s vehicles, whatever recorded it (source: hour_readings, maintenance). Per meter they never go down over time unless a reset lies between. Read only.';
grant select on api.hour_meter_readings, app.hour_meter_readings to app_user;
select app.protect_read_only_view('api.hour_meter_readings');

create or replace function app.hour_records_problem(tenant uuid, points jsonb, wholes jsonb, only_source text)
returns table (problem text, vehicle_id uuid, source text, row_id uuid)
language plpgsql
stable
as $$
begin
    return query
    -- points: [{"v": vehicle, "m": meter, "at": read_at, "h": hours, "id": id, "src": source}] written
    -- now, all of one tenant; wholes: [{"v", "m"}] meters whose every maintenance record is checked
    -- (a reset changed). Each point is compared with the readings of its meter in its reset segment
    -- from the source only_source (all sources when NULL; the records of wholes: all sources).
    with given as materialized (
        select (x ->> 'v')::uuid as vehicle_id, x ->> 'm' as meter, (x ->> 'at')::timestamp as read_at,
               (x ->> 'h')::numeric as hours, (x ->> 'id')::uuid as id, x ->> 'src' as source,
               only_source as against
        from jsonb_array_elements(points) as x
    ),
    wanted as materialized (
        -- a reading written only matters when its meter has maintenance records (one probe per meter)
        select p.vehicle_id, p.meter
        from (select distinct g.vehicle_id, g.meter, g.against from given as g) as p
        where p.against is null
           or exists (select from app.maintenance as m
                      where m.tenant_id = tenant and m.vehicle_id = p.vehicle_id and m.hour_meter = p.meter
                        and m.hours is not null and m.read_at is not null and m.deleted_at is null)
    ),
    checked_points as materialized (
        select g.* from given as g join wanted as w using (vehicle_id, meter)
        union all
        select m.vehicle_id, m.hour_meter, m.read_at, m.hours, m.id, 'maintenance', null
        from jsonb_array_elements(wholes) as x
        join app.maintenance as m
          on m.tenant_id = tenant and m.vehicle_id = (x ->> 'v')::uuid and m.hour_meter = x ->> 'm'
        where m.hours is not null and m.read_at is not null and m.deleted_at is null
    ),
    bounded as (
        select p.*,
               coalesce((select max(r.read_at) from app.hour_readings as r
                         where r.tenant_id = tenant and r.vehicle_id = p.vehicle_id and r.meter = p.meter
                           and r.kind = 'reset' and r.deleted_at is null and r.read_at <= p.read_at),
                        '-infinity') as seg_lo,
               coalesce((select min(r.read_at) from app.hour_readings as r
                         where r.tenant_id = tenant and r.vehicle_id = p.vehicle_id and r.meter = p.meter
                           and r.kind = 'reset' and r.deleted_at is null and r.read_at > p.read_at),
                        'infinity') as seg_hi
        from checked_points as p
    ),
    conflicts as (
        -- q: a reading of the same segment dated before the point and higher, or after it and lower
        select p.vehicle_id, p.meter, p.source, p.id, p.read_at, p.hours,
               q.source as q_source, q.id as q_id, q.read_at as q_read_at, q.hours as q_hours
        from bounded as p
        cross join lateral (
            select r.source, r.id, r.read_at, r.hours
            from app.hour_meter_readings as r
            where r.tenant_id = tenant
              and r.vehicle_id = p.vehicle_id
              and r.meter = p.meter
              and r.read_at >= p.seg_lo
              and r.read_at < p.seg_hi
              and r.read_at <> p.read_at
              and r.id <> p.id
              and (p.against is null or r.source = p.against)
              and ((r.read_at < p.read_at and r.hours > p.hours) or (r.read_at > p.read_at and r.hours < p.hours))
            order by abs(extract(epoch from r.read_at - p.read_at))
            limit 1
        ) as q
    )
    select case
               when c.q_read_at < c.read_at
               then format('hours: %s h on %s (%s %s) is lower than %s h recorded earlier on %s (%s %s, meter %s)',
                           c.hours, c.read_at, c.source, c.id, c.q_hours, c.q_read_at, c.q_source, c.q_id, c.meter)
               else format('hours: %s h on %s (%s %s) is higher than %s h recorded later on %s (%s %s, meter %s)',
                           c.hours, c.read_at, c.source, c.id, c.q_hours, c.q_read_at, c.q_source, c.q_id, c.meter)
           end,
           c.vehicle_id, c.source, c.id
    from conflicts as c
    order by c.read_at, c.id
    limit 1;
end
$$;
comment on function app.hour_records_problem(uuid, jsonb, jsonb, text) is
    'The first hour meter inconsistency that points written (readings or maintenance records of one tenant) bring against the readings of their meter in their reset segment (of source only_source, or every source), and the maintenance records of the meters in wholes against every reading: a message naming both readings, the vehicle, the source and the row. No row when consistent.';
alter function app.hour_records_problem(uuid, jsonb, jsonb, text) set plan_cache_mode = force_generic_plan;

create or replace function app.tg_hour_records_guard()
returns trigger
language plpgsql
as $$
-- tg_argv[0]: the column of the table naming the meter (meter, hour_meter); tg_argv[1]: the source the
-- rows written are compared with (maintenance), or all (every source)
declare
    meter_column constant text := tg_argv[0];
    against constant text := nullif(tg_argv[1], 'all');
    work jsonb;
    tenant text;
    found_problem record;
begin
    -- 1. the transition tables alone, into one local value: per tenant the points written and the
    --    meters whose reset entries changed
    if tg_op = 'INSERT' then
        select jsonb_agg(jsonb_build_object('t', n.tenant_id, 'v', n.vehicle_id, 'm', to_jsonb(n) ->> meter_column,
                                            'at', n.read_at, 'h', n.hours, 'id', n.id, 'src', tg_table_name))
        into work
        from new_rows as n
        where n.deleted_at is null and n.read_at is not null and n.hours is not null
          and to_jsonb(n) ->> meter_column is not null;
    else
        with o as (
            select r.tenant_id, r.id, r.vehicle_id, to_jsonb(r) ->> meter_column as meter, r.read_at, r.hours,
                   r.deleted_at, coalesce(to_jsonb(r) ->> 'kind' = 'reset', false) as is_reset
            from old_rows as r
        ),
        n as (
            select r.tenant_id, r.id, r.vehicle_id, to_jsonb(r) ->> meter_column as meter, r.read_at, r.hours,
                   r.deleted_at, coalesce(to_jsonb(r) ->> 'kind' = 'reset', false) as is_reset
            from new_rows as r
        ),
        changed as (
            select n.*, o.vehicle_id as old_vehicle_id, o.meter as old_meter, o.is_reset as old_is_reset
            from n
            join o on o.tenant_id = n.tenant_id and o.id = n.id
            where (n.vehicle_id, n.meter, n.read_at, n.hours, n.deleted_at, n.is_reset)
                  is distinct from (o.vehicle_id, o.meter, o.read_at, o.hours, o.deleted_at, o.is_reset)
        )
        select jsonb_agg(x)
        into work
        from (
            select jsonb_build_object('t', c.tenant_id, 'v', c.vehicle_id, 'm', c.meter, 'at', c.read_at,
                                      'h', c.hours, 'id', c.id, 'src', tg_table_name) as x
            from changed as c
            where c.deleted_at is null and c.read_at is not null and c.hours is not null and c.meter is not null
            union all
            select jsonb_build_object('t', c.tenant_id, 'v', c.old_vehicle_id, 'm', c.old_meter, 'whole', true)
            from changed as c
            where c.old_is_reset
        ) as w;
    end if;
    if work is null then
        return null;
    end if;

    -- 2. per tenant of the statement, one query filtered by that tenant
    for tenant in select distinct w ->> 't' from jsonb_array_elements(work) as w order by 1 loop
        -- the hour_readings guard's lock: one writer per meter at a time, in a fixed order
        perform pg_advisory_xact_lock(hashtextextended(p.vehicle || p.meter, 1908))
        from (
            select distinct w ->> 'v' as vehicle, w ->> 'm' as meter
            from jsonb_array_elements(work) as w
            where w ->> 't' = tenant
            order by 1, 2
        ) as p;
        select * into found_problem
        from app.hour_records_problem(
            tenant::uuid,
            coalesce((select jsonb_agg(w) from jsonb_array_elements(work) as w
                      where w ->> 't' = tenant and w ->> 'whole' is null), '[]'),
            coalesce((select jsonb_agg(w) from jsonb_array_elements(work) as w
                      where w ->> 't' = tenant and w ->> 'whole' is not null), '[]'),
            against)
        limit 1;
        if found_problem.problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'maintenance_hours_consistent',
                column = 'hours',
                table = tg_table_name,
                message = found_problem.problem,
                detail = format('vehicle %s, %s row %s', found_problem.vehicle_id, found_problem.source, found_problem.row_id),
                hint = 'The hours of a maintenance record are a reading of its hour_meter: they never go down over time against the meter''s readings and other records. Check the hours and the date; if the meter was replaced, record an hour reading of kind reset between them.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_hour_records_guard() is
    'AFTER INSERT and AFTER UPDATE trigger, per statement (transition tables new_rows, old_rows), of the tables with hour meter readings: arguments are the meter column and the source to compare with (maintenance, or all). Refuses the statement when a maintenance record''s hours contradict the readings of its meter (lower than an earlier one or higher than a later one in the same reset segment), naming both and the row; nothing of the statement is written.';

create trigger _100_hours_guard_insert after insert on app.maintenance
    referencing new table as new_rows
    for each statement execute function app.tg_hour_records_guard('hour_meter', 'all');
create trigger _100_hours_guard_update after update on app.maintenance
    referencing old table as old_rows new table as new_rows
    for each statement execute function app.tg_hour_records_guard('hour_meter', 'all');
create trigger _110_hours_records_guard_insert after insert on app.hour_readings
    referencing new table as new_rows
    for each statement execute function app.tg_hour_records_guard('meter', 'maintenance');
create trigger _110_hours_records_guard_update after update on app.hour_readings
    referencing old table as old_rows new table as new_rows
    for each statement execute function app.tg_hour_records_guard('meter', 'maintenance');

grant execute on function app.hour_records_problem(uuid, jsonb, jsonb, text) to app_user;

commit;
