-- Deploy motovault:hour_readings to pg
-- requires: vehicles
--
-- Engine hours and other hour meters (PTO, generator, a second engine): readings per vehicle and
-- meter, monotonic per meter, with reset entries (a replaced hour meter starts a new sequence), as the
-- odometer. The guard is set-based: one statement-level AFTER trigger per statement reads the
-- transition tables into arrays, then checks each touched meter once (with a literal tenant_id), so a
-- multi-row insert costs one check per meter and a bad row anywhere in it writes nothing and is named.
-- app.daily_hours is the usage trend (hours per day over the last 90 days) that projects due dates.

begin;

set local lock_timeout = '5s';

create table app.hour_readings (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    meter text not null default 'engine',
    kind text not null default 'reading',
    read_at timestamp not null default date_trunc('minute', localtimestamp),
    hours numeric(9, 1) not null,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint hour_readings_pkey primary key (tenant_id, id),
    constraint hour_readings_meter_format check (meter ~ '^[a-z][a-z0-9_]{0,39}$'),
    constraint hour_readings_kind_known check (kind in ('reading', 'reset')),
    constraint hour_readings_hours_range check (hours between 0 and 9999999),
    constraint hour_readings_read_at_range check (read_at between timestamp '1886-01-01' and localtimestamp + interval '1 day'),
    constraint hour_readings_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.hour_readings is
    'Hour meter readings (engine hours and other meters) per vehicle and meter; kind reset records a replaced meter and starts a new sequence.';
select app.distribute_table('app.hour_readings', 'tenant');
alter table app.hour_readings
    add constraint hour_readings_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint hour_readings_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;

create index hour_readings_meter_read_idx on app.hour_readings (tenant_id, vehicle_id, meter, read_at, hours)
    where deleted_at is null;
create index hour_readings_vehicle_fk_idx on app.hour_readings (tenant_id, vehicle_id);
-- the last reset of a meter (app.daily_hours, app.hour_meter_problem): one index probe
create index hour_readings_reset_idx on app.hour_readings (tenant_id, vehicle_id, meter, read_at)
    where kind = 'reset' and deleted_at is null;

-- the check of one meter over a time range ------------------------------------------------------------

create or replace function app.hour_meter_problem(
    tenant uuid,
    vehicle uuid,
    meter_name text,
    from_at timestamp default '-infinity',
    to_at timestamp default 'infinity'
)
returns text
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        -- the readings from the last one before from_at to the first one after to_at: with every other
        -- part of the meter consistent, a problem the write made lies in this range
        with bounds as (
            select coalesce((select max(r.read_at) from app.hour_readings as r
                             where r.tenant_id = tenant and r.vehicle_id = vehicle and r.meter = meter_name
                               and r.deleted_at is null and r.read_at < from_at), '-infinity') as lo,
                   coalesce((select min(r.read_at) from app.hour_readings as r
                             where r.tenant_id = tenant and r.vehicle_id = vehicle and r.meter = meter_name
                               and r.deleted_at is null and r.read_at > to_at), 'infinity') as hi
        ),
        segmented as (
            select r.id, r.read_at, r.hours, r.kind,
                   count(*) filter (where r.kind = 'reset') over (order by r.read_at range between unbounded preceding and current row) as segment
            from app.hour_readings as r, bounds as b
            where r.tenant_id = tenant
              and r.vehicle_id = vehicle
              and r.meter = meter_name
              and r.deleted_at is null
              and r.read_at between b.lo and b.hi
        ),
        checked as (
            select s.*,
                   max(s.hours) over (partition by s.segment order by s.read_at
                                      range between unbounded preceding and current row exclude group) as earlier_max
            from segmented as s
        )
        select format('hours: %s h on %s (reading %s) is lower than %s h recorded earlier on %s (meter %s)',
                      c.hours, c.read_at, c.id, c.earlier_max,
                      (select min(s2.read_at) from segmented as s2
                       where s2.segment = c.segment and s2.read_at < c.read_at and s2.hours = c.earlier_max),
                      meter_name)
        from checked as c
        where c.hours < c.earlier_max
        order by c.read_at
        limit 1
    );
end
$$;
comment on function app.hour_meter_problem(uuid, uuid, text, timestamp, timestamp) is
    'NULL when the readings of one hour meter of a vehicle between from_at and to_at (and their neighbours just outside) never go down since the last reset entry; otherwise a message naming the first offending reading (hours, time, id) and the earlier, higher one.';
alter function app.hour_meter_problem(uuid, uuid, text, timestamp, timestamp) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

create or replace function app.tg_hour_readings_guard()
returns trigger
language plpgsql
as $$
declare
    tenants uuid[];
    vehicles uuid[];
    meters text[];
    times timestamp[];
    touched record;
    problem text;
begin
    -- the transition tables into arrays first: no query below joins a transition table with a table
    select array_agg(n.tenant_id), array_agg(n.vehicle_id), array_agg(n.meter), array_agg(n.read_at)
    into tenants, vehicles, meters, times
    from new_rows as n;
    if tg_op = 'UPDATE' then
        select tenants || array_agg(o.tenant_id), vehicles || array_agg(o.vehicle_id),
               meters || array_agg(o.meter), times || array_agg(o.read_at)
        into tenants, vehicles, meters, times
        from old_rows as o;
    end if;
    for touched in
        select u.tenant_id, u.vehicle_id, u.meter, min(u.read_at) as from_at, max(u.read_at) as to_at
        from unnest(tenants, vehicles, meters, times) as u (tenant_id, vehicle_id, meter, read_at)
        group by u.tenant_id, u.vehicle_id, u.meter
        order by u.tenant_id, u.vehicle_id, u.meter
    loop
        -- one writer per meter at a time (in a fixed order: no deadlock between two batches)
        perform pg_advisory_xact_lock(hashtextextended(touched.vehicle_id::text || touched.meter, 1908));
        problem := app.hour_meter_problem(touched.tenant_id, touched.vehicle_id, touched.meter,
                                          touched.from_at, touched.to_at);
        if problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'hour_readings_monotonic',
                column = 'hours',
                table = 'hour_readings',
                message = problem,
                hint = 'Hour readings of one meter never go down over time. Check the reading and its time; if the meter was replaced, record a reading of kind reset between them.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_hour_readings_guard() is
    'Statement-level AFTER INSERT / UPDATE trigger of hour_readings (transition tables new_rows, old_rows): checks every touched meter once over the touched time range; refuses the whole statement, naming the first reading that is lower than an earlier one of the same meter without a reset between them.';

create trigger _100_hours_guard_insert after insert on app.hour_readings
    referencing new table as new_rows
    for each statement execute function app.tg_hour_readings_guard();
create trigger _100_hours_guard_update after update on app.hour_readings
    referencing old table as old_rows new table as new_rows
    for each statement execute function app.tg_hour_readings_guard();

select app.enable_tenant_rules('app.hour_readings');

-- the usage trend ------------------------------------------------------------------------------------

create or replace function app.latest_hours(tenant uuid, vehicle uuid, meter_name text)
returns numeric
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        select r.hours
        from app.hour_readings as r
        where r.tenant_id = tenant
          and r.vehicle_id = vehicle
          and r.meter = meter_name
          and r.deleted_at is null
        order by r.read_at desc, r.hours desc
        limit 1
    );
end
$$;
comment on function app.latest_hours(uuid, uuid, text) is 'The latest live reading of one hour meter of a vehicle, or NULL.';
alter function app.latest_hours(uuid, uuid, text) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

create or replace function app.daily_hours(tenant uuid, vehicle uuid, meter_name text, as_of date default current_date)
returns numeric
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query).
-- Two statements, not one with the last reset as a sub-query: the planner estimates one row per
-- vehicle (tenant_id and vehicle_id taken as independent) and ran that sub-query once per reading
-- (333 index scans of the vehicle's rows, 3,000 buffers, 25 ms at 1M rows).
declare
    start_at timestamp;
begin
    select coalesce(max(r.read_at), '-infinity')
    into start_at
    from app.hour_readings as r
    where r.tenant_id = tenant
      and r.vehicle_id = vehicle
      and r.meter = meter_name
      and r.kind = 'reset'
      and r.deleted_at is null
      and r.read_at < (as_of + 1)::timestamp;
    return (
        select (max(r.hours) - min(r.hours))
               / nullif(extract(epoch from max(r.read_at) - min(r.read_at)) / 86400, 0)
        from app.hour_readings as r
        where r.tenant_id = tenant
          and r.vehicle_id = vehicle
          and r.meter = meter_name
          and r.deleted_at is null
          and r.read_at >= greatest((as_of - 90)::timestamp, start_at)
          and r.read_at < (as_of + 1)::timestamp
    );
end
$$;
comment on function app.daily_hours(uuid, uuid, text, date) is
    'Average hours per day of one hour meter of a vehicle over its readings of the 90 days up to as_of (since the last reset), or NULL with fewer than two readings at different times.';
alter function app.daily_hours(uuid, uuid, text, date) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

-- API --------------------------------------------------------------------------------------------------

create or replace view api.hour_readings
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, meter, kind, read_at, hours, notes,
       created_at, updated_at, created_by, updated_by
from app.hour_readings
where deleted_at is null;
comment on view api.hour_readings is
    'Hour meter readings of the active tenant''s vehicles (engine hours, PTO, generator, ...): per meter they never go down over time unless a reading of kind reset lies between (400 naming the reading otherwise, for a whole batch). DELETE moves a reading to hour_readings_trash.';
comment on column api.hour_readings.meter is 'Which meter: engine (default) or another name (lower case letters, digits, _; e.g. pto, generator).';
comment on column api.hour_readings.kind is 'reading or reset (the meter was replaced; readings before and after it are not compared).';
comment on column api.hour_readings.read_at is 'When the meter was read (local time of the vehicle).';
comment on column api.hour_readings.hours is 'The reading in hours (one decimal).';
select app.create_trash_api('api.hour_readings', 'hour_reading', 'hour readings', 'the meter is checked again');
grant select, insert, update on api.hour_readings to app_user;  -- delete: app.create_trash_api

create or replace view api.hour_meters
with (security_invoker = true)
as
select r.vehicle_id, r.meter,
       count(*) as readings,
       max(r.read_at) as last_read_at,
       app.latest_hours(r.tenant_id, r.vehicle_id, r.meter) as hours,
       round(app.daily_hours(r.tenant_id, r.vehicle_id, r.meter), 2) as hours_per_day
from app.hour_readings as r
where r.deleted_at is null
group by r.tenant_id, r.vehicle_id, r.meter;
comment on view api.hour_meters is
    'Each hour meter of the active tenant''s vehicles: number of readings, the latest reading and time, and the usage trend (hours per day over the last 90 days). Read only.';
grant select on api.hour_meters to app_user;
select app.protect_read_only_view('api.hour_meters');

grant execute on function
    app.hour_meter_problem(uuid, uuid, text, timestamp, timestamp),
    app.latest_hours(uuid, uuid, text),
    app.daily_hours(uuid, uuid, text, date)
    to app_user;

commit;
