-- Deploy motovault:trips to pg
-- requires: odometer_guard
-- requires: tenant_settings
--
-- The mileage log: trips with start/end odometer and time, purpose (business, personal, commute),
-- driver and route note; reimbursement rates per tenant, purpose and period; totals per month,
-- driver and purpose; the log in the shape tax authorities expect (api.trip_log: numbered, every
-- trip private ones included, gap-free odometer chain). A vehicle's log is closed through a date
-- (api.close_trip_log, refused while the closed part has a gap); a closed trip cannot be changed or
-- deleted, only cancelled by a visible counter-entry (api.reverse_trip, kind reversal) and replaced
-- by a correction entry (kind correction), both logged at the time they are made.
--
-- The guard is set-based: statement-level AFTER triggers read the transition tables into arrays,
-- then check each vehicle once with a literal tenant_id (closed periods, the neighbouring trips,
-- the vehicle's odometer readings), naming the first bad row of a batch; nothing is written then.

begin;

set local lock_timeout = '5s';

-- closings: append-only, one row per close ---------------------------------------------------------

create table app.trip_closings (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    closed_through date not null,
    trips integer not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint trip_closings_pkey primary key (tenant_id, id),
    constraint trip_closings_closed_through_range check (closed_through >= date '1886-01-01'),
    constraint trip_closings_trips_not_negative check (trips >= 0)
);
comment on table app.trip_closings is
    'Closings of vehicles'' trip logs: after a closing, trips dated up to closed_through cannot change; append-only (written by api.close_trip_log only).';
select app.distribute_table('app.trip_closings', 'tenant');
alter table app.trip_closings
    add constraint trip_closings_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint trip_closings_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create unique index trip_closings_one_per_date on app.trip_closings (tenant_id, vehicle_id, closed_through);
select app.enable_tenant_rules('app.trip_closings', api_writes => false);

create or replace function app.trips_closed_through(tenant uuid, vehicle uuid)
returns date
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        select max(c.closed_through)
        from app.trip_closings as c
        where c.tenant_id = tenant
          and c.vehicle_id = vehicle
    );
end
$$;
comment on function app.trips_closed_through(uuid, uuid) is 'The date through which a vehicle''s trip log is closed, or NULL.';

-- trips ----------------------------------------------------------------------------------------------

create table app.trips (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    kind text not null default 'trip',
    started_at timestamp not null,
    ended_at timestamp not null,
    start_odometer integer not null,
    end_odometer integer not null,
    odometer_unit text not null,
    purpose text not null,
    driver text not null,
    route_note text,
    reverses_id uuid,
    corrects_id uuid,
    logged_at timestamp not null,
    distance integer generated always as (end_odometer - start_odometer) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint trips_pkey primary key (tenant_id, id),
    constraint trips_kind_known check (kind in ('trip', 'reversal', 'correction')),
    constraint trips_purpose_known check (purpose in ('business', 'personal', 'commute')),
    constraint trips_started_at_range check (started_at between timestamp '1886-01-01' and localtimestamp + interval '1 day'),
    constraint trips_ended_at_after_start check (ended_at >= started_at),
    constraint trips_logged_at_range check (logged_at between timestamp '1886-01-01' and timestamp '9999-12-31'),
    constraint trips_ended_at_within_a_month check (ended_at < started_at + interval '31 days'),
    constraint trips_start_odometer_not_negative check (start_odometer >= 0),
    constraint trips_end_odometer_not_below_start check (end_odometer >= start_odometer),
    constraint trips_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint trips_driver_length check (char_length(btrim(driver)) between 1 and 200),
    constraint trips_route_note_length check (route_note is null or char_length(route_note) <= 2000),
    constraint trips_reverses_id_iff_reversal check ((kind = 'reversal') = (reverses_id is not null)),
    constraint trips_corrects_id_iff_correction check ((kind = 'correction') = (corrects_id is not null))
);
comment on table app.trips is
    'The mileage log: one row per trip (kind trip), counter-entry (kind reversal, cancels reverses_id) or correction (kind correction, replaces the reversed trip corrects_id); logged_at orders the log (a trip''s start, or when a reversal or correction was made).';
select app.distribute_table('app.trips', 'tenant');
alter table app.trips
    add constraint trips_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint trips_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint trips_reverses_fk foreign key (tenant_id, reverses_id)
        references app.trips (tenant_id, id),
    add constraint trips_corrects_fk foreign key (tenant_id, corrects_id)
        references app.trips (tenant_id, id);

create index trips_vehicle_started_idx on app.trips (tenant_id, vehicle_id, started_at) where deleted_at is null;
create index trips_vehicle_logged_idx on app.trips (tenant_id, vehicle_id, logged_at, id) where deleted_at is null;
create index trips_vehicle_fk_idx on app.trips (tenant_id, vehicle_id);
create index trips_reverses_fk_idx on app.trips (tenant_id, reverses_id) where reverses_id is not null;
create index trips_corrects_fk_idx on app.trips (tenant_id, corrects_id) where corrects_id is not null;
create unique index trips_reversed_once on app.trips (tenant_id, reverses_id) where reverses_id is not null and deleted_at is null;
create unique index trips_corrected_once on app.trips (tenant_id, corrects_id) where corrects_id is not null and deleted_at is null;

create or replace function app.tg_trips_prepare()
returns trigger
language plpgsql
as $$
begin
    new.odometer_unit := coalesce(
        new.odometer_unit,
        app.vehicle_odometer_unit(coalesce(new.tenant_id, app.current_tenant_id()), new.vehicle_id),
        'km');
    new.driver := btrim(new.driver);
    new.route_note := nullif(btrim(new.route_note), '');
    if tg_op = 'INSERT' then
        new.logged_at := case when new.kind = 'trip' then new.started_at else date_trunc('second', localtimestamp) end;
    elsif new.kind = 'trip' then
        new.logged_at := new.started_at;
    else
        new.logged_at := old.logged_at;
    end if;
    return new;
end
$$;
comment on function app.tg_trips_prepare() is
    'BEFORE INSERT OR UPDATE on trips: odometer_unit defaults to the vehicle''s; logged_at is the start of a trip, and the time a reversal or correction was made.';
create trigger _200_prepare before insert or update on app.trips
    for each row execute function app.tg_trips_prepare();

-- the trips of a vehicle that count: trips and corrections that no live reversal cancels
create or replace function app.trip_is_effective(tenant uuid, trip uuid, kind text)
returns boolean
language sql
stable
as $$
    select kind <> 'reversal'
       and not exists (
           select from app.trips as r
           where r.tenant_id = tenant
             and r.reverses_id = trip
             and r.deleted_at is null)
$$;
comment on function app.trip_is_effective(uuid, uuid, text) is 'A trip or correction that no live reversal cancels.';

-- the problem of a set of trips of one vehicle (arrays: no transition table in the queries) ------

create or replace function app.trips_problem(
    tenant uuid,
    vehicle uuid,
    ids uuid[],
    closed_through date
)
returns text
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        with batch as (
            select t.*, app.distance_in_km(t.start_odometer, t.odometer_unit) as start_km,
                   app.distance_in_km(t.end_odometer, t.odometer_unit) as end_km
            from app.trips as t
            where t.tenant_id = tenant
              and t.id = any (ids)
              and t.deleted_at is null
        ),
        problems as (
            -- a reversal repeats the trip it cancels
            select b.started_at, format('reverses_id: entry %s (%s) does not cancel a trip of this vehicle with the same times and odometer',
                                        b.id, b.started_at) as problem
            from batch as b
            left join app.trips as o on o.tenant_id = tenant and o.id = b.reverses_id and o.deleted_at is null
            where b.kind = 'reversal'
              and (o.id is null or o.vehicle_id <> b.vehicle_id or o.kind = 'reversal'
                   or (o.started_at, o.ended_at, o.start_odometer, o.end_odometer, o.odometer_unit, o.purpose, o.driver)
                      is distinct from (b.started_at, b.ended_at, b.start_odometer, b.end_odometer, b.odometer_unit, b.purpose, b.driver))
            union all
            -- a correction replaces a reversed trip of the same vehicle
            select b.started_at, format('corrects_id: entry %s (%s) must replace a reversed trip of this vehicle', b.id, b.started_at)
            from batch as b
            left join app.trips as o on o.tenant_id = tenant and o.id = b.corrects_id and o.deleted_at is null
            where b.kind = 'correction'
              and (o.id is null or o.vehicle_id <> b.vehicle_id or o.kind = 'reversal'
                   or app.trip_is_effective(tenant, o.id, o.kind))
            union all
            -- a new trip in a closed period: only reversals and corrections may go there
            select b.started_at, format('started_at: trip %s on %s lies in the closed log (closed through %s); record a reversal and a correction instead',
                                        b.id, b.started_at, closed_through)
            from batch as b
            where b.kind = 'trip'
              and b.started_at < (closed_through + 1)::timestamp
            union all
            -- trips of the vehicle do not overlap in time or odometer
            select b.started_at, format('started_at: trip %s (%s - %s, %s - %s %s) overlaps trip %s (%s - %s, %s - %s %s)',
                                        b.id, b.started_at, b.ended_at, b.start_odometer, b.end_odometer, b.odometer_unit,
                                        o.id, o.started_at, o.ended_at, o.start_odometer, o.end_odometer, o.odometer_unit)
            from batch as b
            cross join lateral (
                select o.*
                from app.trips as o
                where o.tenant_id = tenant
                  and o.vehicle_id = vehicle
                  and o.deleted_at is null
                  and o.id <> b.id
                  and o.started_at < b.ended_at
                  and o.ended_at > b.started_at
                  and app.trip_is_effective(tenant, o.id, o.kind)
                limit 1
            ) as o
            where app.trip_is_effective(tenant, b.id, b.kind)
            union all
            -- the vehicle's odometer readings: none before the trip is higher than its start, none after lower than its end
            select b.started_at, format('start_odometer: %s %s at %s is lower than %s %s read on %s (%s)',
                                        b.start_odometer, b.odometer_unit, b.started_at, r.odometer, r.odometer_unit, r.read_at, r.source)
            from batch as b
            cross join lateral (
                select r.*
                from app.odometer_readings as r
                where r.tenant_id = tenant
                  and r.vehicle_id = vehicle
                  and r.read_at <= b.started_at
                order by r.read_at desc
                limit 1
            ) as r
            where b.kind <> 'reversal'
              and r.odometer_km > b.start_km + 0.5
            union all
            select b.started_at, format('end_odometer: %s %s at %s is higher than %s %s read on %s (%s)',
                                        b.end_odometer, b.odometer_unit, b.ended_at, r.odometer, r.odometer_unit, r.read_at, r.source)
            from batch as b
            cross join lateral (
                select r.*
                from app.odometer_readings as r
                where r.tenant_id = tenant
                  and r.vehicle_id = vehicle
                  and r.read_at >= b.ended_at
                order by r.read_at
                limit 1
            ) as r
            where b.kind <> 'reversal'
              and not r.is_reset
              and r.odometer_km < b.end_km - 0.5
        )
        select p.problem
        from problems as p
        order by p.started_at
        limit 1
    );
end
$$;
comment on function app.trips_problem(uuid, uuid, uuid[], date) is
    'The first problem of the given trips of one vehicle, or NULL: a reversal that does not repeat the trip it cancels, a correction of a trip that is not reversed, a trip dated in the closed log, trips that overlap, or odometer figures that contradict the vehicle''s readings.';
alter function app.trips_problem(uuid, uuid, uuid[], date) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

create or replace function app.tg_trips_guard()
returns trigger
language plpgsql
as $$
declare
    tenants uuid[];
    vehicles uuid[];
    ids uuid[];
    old_tenants uuid[];
    old_vehicles uuid[];
    old_ids uuid[];
    old_times timestamp[];
    old_kinds text[];
    touched record;
    closed date;
    problem text;
begin
    -- the transition tables into arrays first: no query below joins a transition table with a table
    select array_agg(n.tenant_id), array_agg(n.vehicle_id), array_agg(n.id)
    into tenants, vehicles, ids
    from new_rows as n;
    if tg_op = 'UPDATE' then
        select array_agg(o.tenant_id), array_agg(o.vehicle_id), array_agg(o.id), array_agg(o.logged_at), array_agg(o.kind)
        into old_tenants, old_vehicles, old_ids, old_times, old_kinds
        from old_rows as o;
    end if;
    for touched in
        select u.tenant_id, u.vehicle_id, array_agg(u.id) as ids
        from (
            select * from unnest(tenants, vehicles, ids) as n (tenant_id, vehicle_id, id)
            union
            select * from unnest(old_tenants, old_vehicles, old_ids) as o (tenant_id, vehicle_id, id)
        ) as u
        group by u.tenant_id, u.vehicle_id
        order by u.tenant_id, u.vehicle_id
    loop
        perform pg_advisory_xact_lock(hashtextextended(touched.vehicle_id::text, 1909));
        closed := coalesce(app.trips_closed_through(touched.tenant_id, touched.vehicle_id), date '-infinity');
        if tg_op = 'UPDATE' then
            -- a closed entry never changes (not even its deleted_at): the counter-entry is the way
            select format('id: entry %s (logged %s) is in the closed log (closed through %s) and cannot be changed or deleted',
                          o.id, o.time, closed)
            into problem
            from unnest(old_tenants, old_vehicles, old_ids, old_times, old_kinds) as o (tenant_id, vehicle_id, id, time, kind)
            where o.tenant_id = touched.tenant_id
              and o.vehicle_id = touched.vehicle_id
              and o.time < (closed + 1)::timestamp
            order by o.time
            limit 1;
            if problem is not null then
                raise sqlstate 'PT409' using
                    message = problem,
                    column = 'id',
                    constraint = 'trips_closed_log_unchanged',
                    hint = 'POST /rpc/reverse_trip {"id": ...} records a visible counter-entry; then POST /trips with kind correction and corrects_id.';
            end if;
        end if;
        problem := app.trips_problem(touched.tenant_id, touched.vehicle_id, touched.ids, closed);
        if problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'trips_consistent',
                column = split_part(problem, ':', 1),
                table = 'trips',
                message = problem,
                hint = 'Trips of a vehicle do not overlap, fit its odometer readings, and stay out of the closed log except as reversals and corrections.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_trips_guard() is
    'Statement-level AFTER INSERT / UPDATE trigger of trips (transition tables new_rows, old_rows): refuses the whole statement when it changes an entry of a closed log, or when one of its trips has a problem (app.trips_problem), naming the first.';

create trigger _100_trips_guard_insert after insert on app.trips
    referencing new table as new_rows
    for each statement execute function app.tg_trips_guard();
create trigger _100_trips_guard_update after update on app.trips
    referencing old table as old_rows new table as new_rows
    for each statement execute function app.tg_trips_guard();

select app.enable_tenant_rules('app.trips');

-- reimbursement rates per tenant, purpose and period ------------------------------------------------

create table app.trip_rates (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    purpose text not null,
    valid_from date not null,
    rate numeric(10, 4) not null,
    distance_unit text not null,
    currency text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint trip_rates_pkey primary key (tenant_id, id),
    constraint trip_rates_purpose_known check (purpose in ('business', 'personal', 'commute')),
    constraint trip_rates_valid_from_range check (valid_from between date '1886-01-01' and date '9999-12-31'),
    constraint trip_rates_rate_range check (rate between 0 and 1000),
    constraint trip_rates_distance_unit_known check (distance_unit in ('mi', 'km')),
    constraint trip_rates_currency_iso4217 check (currency ~ '^[A-Z]{3}$')
);
comment on table app.trip_rates is
    'Reimbursement rates per tenant and purpose: rate per distance_unit in currency, from valid_from until the next rate of the purpose.';
select app.distribute_table('app.trip_rates', 'tenant');
alter table app.trip_rates
    add constraint trip_rates_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create unique index trip_rates_one_per_purpose_and_date on app.trip_rates (tenant_id, purpose, valid_from)
    where deleted_at is null;
select app.enable_tenant_rules('app.trip_rates');

-- API ------------------------------------------------------------------------------------------------

create or replace view api.trips
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, kind, started_at, ended_at, start_odometer, end_odometer, odometer_unit,
       distance, purpose, driver, route_note, reverses_id, corrects_id, logged_at,
       created_at, updated_at, created_by, updated_by
from app.trips
where deleted_at is null;
comment on view api.trips is
    'The mileage log of the active tenant''s vehicles: trips (start/end time and odometer, purpose business, personal or commute, driver, route note), reversals (counter-entries) and corrections. Trips of a vehicle do not overlap and fit its odometer readings (400 naming the first bad row of a batch); entries of a closed log never change (409): cancel one with rpc/reverse_trip and replace it with a correction. DELETE moves an open entry to trips_trash.';
comment on column api.trips.kind is 'trip (default), reversal (made by rpc/reverse_trip) or correction (replaces the reversed trip corrects_id; allowed in the closed log).';
comment on column api.trips.purpose is 'business, personal or commute.';
comment on column api.trips.driver is 'Who drove (a name, 1-200 characters).';
comment on column api.trips.distance is 'end_odometer - start_odometer (odometer_unit).';
comment on column api.trips.logged_at is 'Position in the log: the start of a trip; when a reversal or correction was made.';
select app.create_trash_api('api.trips', 'trip', 'trips', 'it is checked again');
-- logged_at orders the log and is the database's (a trip's start, or when a counter-entry was made)
grant select on api.trips to app_user;  -- delete: app.create_trash_api
grant insert (tenant_id, id, vehicle_id, kind, started_at, ended_at, start_odometer, end_odometer, odometer_unit,
              purpose, driver, route_note, reverses_id, corrects_id)
    on api.trips to app_user;
grant update (tenant_id, vehicle_id, kind, started_at, ended_at, start_odometer, end_odometer, odometer_unit,
              purpose, driver, route_note, reverses_id, corrects_id)
    on api.trips to app_user;

create or replace function api.reverse_trip(id uuid, route_note text default null)
returns setof api.trips
language plpgsql
as $$
declare
    new_id uuid;
begin
    insert into app.trips (tenant_id, vehicle_id, kind, started_at, ended_at, start_odometer, end_odometer,
                           odometer_unit, purpose, driver, route_note, reverses_id)
    select t.tenant_id, t.vehicle_id, 'reversal', t.started_at, t.ended_at, t.start_odometer, t.end_odometer,
           t.odometer_unit, t.purpose, t.driver, coalesce(reverse_trip.route_note, t.route_note), t.id
    from app.trips as t
    where t.tenant_id = app.current_tenant_id()
      and t.id = reverse_trip.id
      and t.deleted_at is null
      and t.kind <> 'reversal'
    returning trips.id into new_id;
    if new_id is null then
        raise sqlstate 'PT404' using
            message = format('id: no trip or correction %s in the active tenant', reverse_trip.id),
            hint = 'GET /trips?kind=neq.reversal lists what can be reversed.';
    end if;
    return query select * from api.trips as t where t.id = new_id;
end
$$;
comment on function api.reverse_trip(uuid, text) is
    'Records the visible counter-entry of a trip or correction (kind reversal, same figures, logged now), also in a closed log; the trip then no longer counts. 404 unknown id, 409 already reversed. Returns the reversal.';

create or replace view api.trip_rates
with (security_invoker = true)
as
select tenant_id, id, purpose, valid_from, rate, distance_unit, currency,
       created_at, updated_at, created_by, updated_by
from app.trip_rates
where deleted_at is null;
comment on view api.trip_rates is
    'Reimbursement rates of the active tenant: rate per distance_unit (mi or km) in currency (ISO 4217) for trips of purpose (business, personal, commute) from valid_from until the next rate of that purpose. DELETE moves a rate to trip_rates_trash.';
select app.create_trash_api('api.trip_rates', 'trip_rate', 'trip rates');
grant select, insert, update on api.trip_rates to app_user;  -- delete: app.create_trash_api

create or replace view api.trip_closings
with (security_invoker = true)
as
select vehicle_id, id, closed_through, trips, created_at, created_by
from app.trip_closings;
comment on view api.trip_closings is
    'Closings of the active tenant''s trip logs (rpc/close_trip_log): entries dated up to closed_through cannot change. Read only.';
grant select on api.trip_closings to app_user;
select app.protect_read_only_view('api.trip_closings');

-- the log in the tax authorities' shape: every entry, numbered, with its sign and the closing state
create or replace view api.trip_log
with (security_invoker = true)
as
select row_number() over (partition by t.tenant_id, t.vehicle_id order by t.logged_at, t.id) as line_no,
       t.vehicle_id,
       t.id,
       t.kind,
       t.started_at::date as trip_date,
       t.started_at,
       t.ended_at,
       t.start_odometer,
       t.end_odometer,
       case when t.kind = 'reversal' then -t.distance else t.distance end as distance,
       t.odometer_unit,
       t.purpose,
       t.driver,
       t.route_note,
       t.reverses_id,
       t.corrects_id,
       t.logged_at,
       t.logged_at < (coalesce(c.closed_through, date '-infinity') + 1)::timestamp as closed,
       t.created_at as recorded_at,
       t.created_by as recorded_by
from app.trips as t
left join lateral (
    select max(tc.closed_through) as closed_through
    from app.trip_closings as tc
    where tc.tenant_id = t.tenant_id
      and tc.vehicle_id = t.vehicle_id
) as c on true
where t.deleted_at is null;
comment on view api.trip_log is
    'The mileage log as tax authorities expect it, per vehicle: every entry (private trips too) numbered in log order (line_no), date, times, start and end odometer, signed distance (a reversal counts negative), purpose, driver, route; counter-entries and corrections point at what they cancel or replace; closed says whether the entry is in the closed log. Filter by vehicle_id; Accept: text/csv gives a CSV file. Read only.';
grant select on api.trip_log to app_user;
select app.protect_read_only_view('api.trip_log');

create or replace function app.trip_rate(tenant uuid, purpose text, on_date date)
returns setof app.trip_rates
language sql
stable
as $$
    select r.*
    from app.trip_rates as r
    where r.tenant_id = tenant
      and r.purpose = trip_rate.purpose
      and r.valid_from <= on_date
      and r.deleted_at is null
    order by r.valid_from desc
    limit 1
$$;
comment on function app.trip_rate(uuid, text, date) is 'The reimbursement rate of a purpose valid on a date, or NULL.';

create or replace view api.trip_totals
with (security_invoker = true)
as
select t.vehicle_id,
       date_trunc('month', t.started_at)::date as month,
       t.driver,
       t.purpose,
       count(*) filter (where t.kind <> 'reversal') - count(*) filter (where t.kind = 'reversal') as trips,
       sum(case when t.kind = 'reversal' then -t.distance else t.distance end) as distance,
       t.odometer_unit,
       round(sum(case when t.kind = 'reversal' then -t.distance else t.distance end
                 * app.distance_in_km(1, t.odometer_unit) / app.distance_in_km(1, r.distance_unit) * r.rate), 2) as reimbursement,
       r.currency
from app.trips as t
left join (
    -- each rate with the date the next one of its purpose takes over: read once, not once per trip
    select tr.tenant_id, tr.purpose, tr.valid_from, tr.rate, tr.distance_unit, tr.currency,
           coalesce(lead(tr.valid_from) over (partition by tr.tenant_id, tr.purpose order by tr.valid_from), 'infinity') as valid_until
    from app.trip_rates as tr
    where tr.deleted_at is null
) as r on r.tenant_id = t.tenant_id
      and r.purpose = t.purpose
      and t.started_at >= r.valid_from
      and t.started_at < r.valid_until
where t.deleted_at is null
group by t.tenant_id, t.vehicle_id, date_trunc('month', t.started_at), t.driver, t.purpose, t.odometer_unit, r.currency;
comment on view api.trip_totals is
    'Trips per vehicle, month (of the trip''s start), driver and purpose: number of trips and distance (reversals subtract) and the reimbursement at the rate valid on each trip''s date (NULL without a rate). Read only.';
grant select on api.trip_totals to app_user;
select app.protect_read_only_view('api.trip_totals');

create or replace function api.close_trip_log(vehicle_id uuid, through date)
returns setof api.trip_closings
language plpgsql
as $$
declare
    tenant constant uuid := app.current_tenant_id();
    previous date;
    gap text;
    counted integer;
begin
    if not app.current_member_can_write() then
        raise exception using errcode = 'insufficient_privilege', message = 'role: viewers cannot close a trip log';
    end if;
    if through >= current_date then
        raise exception using
            errcode = 'check_violation', constraint = 'trip_closings_closed_through_past', column = 'through',
            message = format('through: %s is not in the past; a log is closed through a past date', through),
            hint = 'Close through yesterday at the latest, e.g. the last day of the previous month.';
    end if;
    perform pg_advisory_xact_lock(hashtextextended(close_trip_log.vehicle_id::text, 1909));
    previous := app.trips_closed_through(tenant, close_trip_log.vehicle_id);
    if previous >= through then
        raise sqlstate 'PT409' using
            message = format('through: the log is already closed through %s', previous),
            hint = 'Close through a later date.';
    end if;
    -- gap-free: in time order, each counted trip starts where the one before ended
    select format('start_odometer: trip of %s starts at %s %s, the one before (%s) ended at %s %s: record the trip between them first',
                  g.started_at, g.start_odometer, g.odometer_unit, g.prev_started_at, g.prev_end, g.odometer_unit)
    into gap
    from (
        select t.started_at, t.start_odometer, t.odometer_unit,
               lag(t.started_at) over w as prev_started_at,
               lag(app.distance_in_km(t.end_odometer, t.odometer_unit)) over w as prev_end_km,
               lag(t.end_odometer) over w as prev_end
        from app.trips as t
        where t.tenant_id = tenant
          and t.vehicle_id = close_trip_log.vehicle_id
          and t.deleted_at is null
          and t.started_at < (through + 1)::timestamp
          and app.trip_is_effective(tenant, t.id, t.kind)
        window w as (order by t.started_at)
    ) as g
    where g.prev_end_km is not null
      and abs(app.distance_in_km(g.start_odometer, g.odometer_unit) - g.prev_end_km) > 0.5
    order by g.started_at
    limit 1;
    if gap is not null then
        raise exception using
            errcode = 'check_violation', constraint = 'trips_gap_free', column = 'start_odometer',
            message = gap,
            hint = 'A closed log has no gaps: every kilometre is a trip (personal ones too).';
    end if;
    select count(*) into counted
    from app.trips as t
    where t.tenant_id = tenant
      and t.vehicle_id = close_trip_log.vehicle_id
      and t.deleted_at is null
      and t.logged_at < (through + 1)::timestamp
      and t.logged_at >= (coalesce(previous, date '-infinity') + 1)::timestamp;
    return query
    insert into app.trip_closings as c (tenant_id, vehicle_id, closed_through, trips)
    values (tenant, close_trip_log.vehicle_id, through, counted)
    returning c.vehicle_id, c.id, c.closed_through, c.trips, c.created_at, c.created_by;
end
$$;
comment on function api.close_trip_log(uuid, date) is
    'Closes a vehicle''s trip log through a past date: refused (400) while the trips up to it have a gap in the odometer chain, 409 if already closed through it. Afterwards its entries cannot change; reverse_trip and corrections remain. Returns the closing.';

-- the owner role writes closings for close_trip_log (security invoker: the caller's membership rules)
create policy trip_closings_writers_insert on app.trip_closings for insert to app_user
    with check (tenant_id = app.current_tenant_id() and app.current_member_can_write());
grant insert on app.trip_closings to app_user;

grant execute on function
    app.trips_closed_through(uuid, uuid),
    app.trip_is_effective(uuid, uuid, text),
    app.trips_problem(uuid, uuid, uuid[], date),
    app.trip_rate(uuid, text, date),
    api.reverse_trip(uuid, text),
    api.close_trip_log(uuid, date)
    to app_user;

commit;
