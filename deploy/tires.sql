-- Deploy motovault:tires to pg
-- requires: trips
-- requires: reminders
--
-- Tires: sets (brand, model, size, season, DOT code with its manufacturing week and year parsed and
-- checked, tread depth when new, legal minimum), the tires of a set and the position of each,
-- mounts of a set on a vehicle with the odometer at mount and dismount (distance per set and per
-- tire across seasonal swaps), tread depth measurements per tire and position with a wear
-- projection to the legal minimum (distance and date), age warnings (inspect from 6 years, replace
-- at 10) and rotation reminders (distance since the vehicle's last tire_rotation maintenance).
-- The mount and position guards are set-based like the trips one: statement-level AFTER triggers
-- read the transition tables into arrays, then check each vehicle and set once with a literal
-- tenant_id; a bad row anywhere in a batch writes nothing and is named.

begin;

set local lock_timeout = '5s';

-- DOT codes: the last four digits are the week and year of manufacture (since 2000) ----------------

create or replace function app.dot_manufactured_on(dot_code text)
returns date
language sql
immutable
parallel safe
as $$
    -- the Monday of ISO week ww of 20yy: the Monday of the week of 4 January, plus ww - 1 weeks
    select make_date(2000 + p.m[2]::integer, 1, 4)
           - (extract(isodow from make_date(2000 + p.m[2]::integer, 1, 4))::integer - 1)
           + (p.m[1]::integer - 1) * 7
    from (select regexp_match(upper(dot_code), '([0-9]{2})([0-9]{2})$') as m) as p
    where p.m[1]::integer between 1 and 53
$$;
comment on function app.dot_manufactured_on(text) is
    'The Monday of the ISO week of manufacture a DOT code ends with (wwyy, since 2000), or NULL.';

create or replace function app.dot_code_problem(dot_code text, today date default current_date)
returns text
language sql
stable
as $$
    select case
        when dot_code is null then null
        when p.m is null then
            format('dot_code: %L is not a DOT code: DOT, the plant, size and option codes, then week and year in 4 digits (e.g. DOT 4B9X 3VR 2319)', dot_code)
        when p.m[1]::integer not between 1 and 53 then
            format('dot_code: week %s of %L does not exist (01-53)', p.m[1], dot_code)
        when p.m[1]::integer = 53 and extract(week from make_date(2000 + p.m[2]::integer, 12, 28)) <> 53 then
            format('dot_code: 20%s has no ISO week 53 (%L)', p.m[2], dot_code)
        when app.dot_manufactured_on(dot_code) > today then
            format('dot_code: week %s of 20%s (%L) is in the future', p.m[1], p.m[2], dot_code)
    end
    from (select regexp_match(dot_code, '^DOT [A-Z0-9]{2,4}( [A-Z0-9]{1,4}){0,2} ?([0-9]{2})([0-9]{2})$') as r) as q
    cross join lateral (select case when q.r is not null then array[q.r[2], q.r[3]] end as m) as p
$$;
comment on function app.dot_code_problem(text, date) is
    'NULL for a valid DOT code (DOT, plant / size / option codes, week and year of manufacture as wwyy: an existing ISO week, not in the future); otherwise what is wrong.';

-- tire sets ------------------------------------------------------------------------------------------

create table app.tire_sets (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    name text not null,
    brand text not null,
    model text,
    size text not null,
    season text not null,
    dot_code text,
    manufactured_on date generated always as (app.dot_manufactured_on(dot_code)) stored,
    tread_new_mm numeric(3, 1) not null default 8.0,
    legal_min_mm numeric(3, 1) not null default 1.6,
    rotate_every_km integer,
    notes text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint tire_sets_pkey primary key (tenant_id, id),
    constraint tire_sets_name_length check (char_length(name) between 1 and 100),
    constraint tire_sets_brand_length check (char_length(brand) between 1 and 100),
    constraint tire_sets_model_length check (model is null or char_length(model) between 1 and 100),
    constraint tire_sets_size_format check (size ~ '^[0-9]{3}/[0-9]{2} ?Z?R ?[0-9]{2}( [0-9]{2,3}[A-Z]{1,2})?$'),
    constraint tire_sets_season_known check (season in ('summer', 'winter', 'all_season')),
    constraint tire_sets_dot_code_format check (dot_code ~ '^DOT [A-Z0-9 ]+[0-9]{4}$'),
    constraint tire_sets_tread_new_mm_range check (tread_new_mm between 1 and 30),
    constraint tire_sets_legal_min_mm_below_new check (legal_min_mm between 0 and tread_new_mm),
    constraint tire_sets_rotate_every_km_range check (rotate_every_km between 1000 and 100000),
    constraint tire_sets_notes_length check (notes is null or char_length(notes) <= 10000)
);
comment on table app.tire_sets is
    'Tire sets (usually a season''s four, plus a spare): brand, model, size, season, DOT code and the manufacturing week it encodes, tread when new, legal minimum, rotation interval.';
select app.distribute_table('app.tire_sets', 'tenant');
alter table app.tire_sets
    add constraint tire_sets_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint tire_sets_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index tire_sets_vehicle_fk_idx on app.tire_sets (tenant_id, vehicle_id);

create or replace function app.tg_tire_sets_input()
returns trigger
language plpgsql
as $$
declare
    problem text;
begin
    new.dot_code := nullif(upper(regexp_replace(btrim(new.dot_code), '\s+', ' ', 'g')), '');
    new.size := upper(btrim(new.size));
    new.name := btrim(new.name);
    new.brand := btrim(new.brand);
    problem := app.dot_code_problem(new.dot_code);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'tire_sets_dot_code_valid',
            column = 'dot_code',
            message = problem,
            hint = 'The DOT code is on the sidewall; its last four digits are the week and year of manufacture (2319: week 23 of 2019).';
    end if;
    return new;
end
$$;
comment on function app.tg_tire_sets_input() is
    'BEFORE INSERT OR UPDATE on tire_sets (_100_input_range): normalizes the DOT code and size to upper case with single spaces and refuses a DOT code whose week does not exist or lies in the future, naming the problem.';
create trigger _100_input_range before insert or update on app.tire_sets
    for each row execute function app.tg_tire_sets_input();

select app.enable_tenant_rules('app.tire_sets');

-- tires and their positions --------------------------------------------------------------------------

create table app.tires (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    tire_set_id uuid not null,
    label text not null,
    position text,
    added_on date not null default current_date,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint tires_pkey primary key (tenant_id, id),
    constraint tires_label_length check (char_length(label) between 1 and 20),
    constraint tires_position_known check (position in ('front_left', 'front_right', 'rear_left', 'rear_right', 'spare')),
    constraint tires_added_on_range check (added_on between date '1886-01-01' and date '9999-12-31')
);
comment on table app.tires is
    'The tires of a set, each with its position on the vehicle (front_left, front_right, rear_left, rear_right, spare; NULL: not on a wheel position) and the date it joined the set.';
select app.distribute_table('app.tires', 'tenant');
alter table app.tires
    add constraint tires_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint tires_set_fk foreign key (tenant_id, tire_set_id)
        references app.tire_sets (tenant_id, id) on delete cascade;
create index tires_set_fk_idx on app.tires (tenant_id, tire_set_id);
create unique index tires_label_unique_live on app.tires (tenant_id, tire_set_id, label) where deleted_at is null;

-- a rotation swaps positions in one statement: one tire per wheel position, checked per statement
create or replace function app.tg_tires_positions_guard()
returns trigger
language plpgsql
as $$
declare
    tenants uuid[];
    sets uuid[];
    touched record;
    clash text;
begin
    select array_agg(n.tenant_id), array_agg(n.tire_set_id)
    into tenants, sets
    from new_rows as n
    where n.position is not null and n.position <> 'spare' and n.deleted_at is null;
    for touched in
        select distinct u.tenant_id, u.tire_set_id
        from unnest(tenants, sets) as u (tenant_id, tire_set_id)
        order by 1, 2
    loop
        select format('position: %s of tire set %s holds tires %s', t.position, touched.tire_set_id,
                      string_agg(t.label, ', ' order by t.label))
        into clash
        from app.tires as t
        where t.tenant_id = touched.tenant_id
          and t.tire_set_id = touched.tire_set_id
          and t.deleted_at is null
          and t.position is not null
          and t.position <> 'spare'
        group by t.position
        having count(*) > 1
        order by t.position
        limit 1;
        if clash is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'tires_one_per_position',
                column = 'position',
                table = 'tires',
                message = clash,
                hint = 'A rotation moves the tires in one PATCH or one transaction; each wheel position holds one tire of the set.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_tires_positions_guard() is
    'Statement-level AFTER INSERT / UPDATE trigger of tires: one live tire per wheel position and set after the statement (a rotation may swap positions in one statement).';
create trigger _100_positions_guard_insert after insert on app.tires
    referencing new table as new_rows
    for each statement execute function app.tg_tires_positions_guard();
create trigger _100_positions_guard_update after update on app.tires
    referencing new table as new_rows
    for each statement execute function app.tg_tires_positions_guard();

select app.enable_tenant_rules('app.tires');

-- mounts: a set on a vehicle from mount to dismount -------------------------------------------------

create table app.tire_mounts (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    tire_set_id uuid not null,
    vehicle_id uuid not null,
    mounted_on date not null,
    mount_odometer integer not null,
    dismounted_on date,
    dismount_odometer integer,
    odometer_unit text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint tire_mounts_pkey primary key (tenant_id, id),
    constraint tire_mounts_mounted_on_range check (mounted_on between date '1886-01-01' and current_date + 1),
    constraint tire_mounts_mount_odometer_not_negative check (mount_odometer >= 0),
    constraint tire_mounts_dismount_together check ((dismounted_on is null) = (dismount_odometer is null)),
    constraint tire_mounts_dismounted_on_after_mount check (dismounted_on >= mounted_on),
    constraint tire_mounts_dismount_odometer_not_below_mount check (dismount_odometer >= mount_odometer),
    constraint tire_mounts_odometer_unit_known check (odometer_unit in ('mi', 'km'))
);
comment on table app.tire_mounts is
    'When a tire set was on a vehicle: mounted_on / mount_odometer to dismounted_on / dismount_odometer (open while on). One set on a vehicle at a time.';
select app.distribute_table('app.tire_mounts', 'tenant');
alter table app.tire_mounts
    add constraint tire_mounts_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint tire_mounts_set_fk foreign key (tenant_id, tire_set_id)
        references app.tire_sets (tenant_id, id) on delete cascade,
    add constraint tire_mounts_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index tire_mounts_set_fk_idx on app.tire_mounts (tenant_id, tire_set_id);
create index tire_mounts_vehicle_fk_idx on app.tire_mounts (tenant_id, vehicle_id);
create index tire_mounts_vehicle_idx on app.tire_mounts (tenant_id, vehicle_id, mounted_on) where deleted_at is null;
create index tire_mounts_set_idx on app.tire_mounts (tenant_id, tire_set_id, mounted_on) where deleted_at is null;

create or replace function app.tg_tire_mounts_prepare()
returns trigger
language plpgsql
as $$
begin
    new.odometer_unit := coalesce(
        new.odometer_unit,
        app.vehicle_odometer_unit(coalesce(new.tenant_id, app.current_tenant_id()), new.vehicle_id),
        'km');
    return new;
end
$$;
comment on function app.tg_tire_mounts_prepare() is 'BEFORE INSERT OR UPDATE on tire_mounts: odometer_unit defaults to the vehicle''s.';
create trigger _200_prepare before insert or update on app.tire_mounts
    for each row execute function app.tg_tire_mounts_prepare();

create or replace function app.tire_mounts_problem(tenant uuid, ids uuid[])
returns text
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        with batch as (
            select m.*
            from app.tire_mounts as m
            where m.tenant_id = tenant
              and m.id = any (ids)
              and m.deleted_at is null
        ),
        problems as (
            select b.mounted_on, format('mounted_on: set %s mounted on %s overlaps the mount of set %s on %s (%s - %s) on the same vehicle',
                                        b.tire_set_id, b.mounted_on, o.tire_set_id, o.vehicle_id, o.mounted_on,
                                        coalesce(o.dismounted_on::text, 'still mounted')) as problem
            from batch as b
            cross join lateral (
                select o.*
                from app.tire_mounts as o
                where o.tenant_id = tenant
                  and o.deleted_at is null
                  and o.id <> b.id
                  and (o.vehicle_id = b.vehicle_id or o.tire_set_id = b.tire_set_id)
                  and o.mounted_on < coalesce(b.dismounted_on, 'infinity')
                  and coalesce(o.dismounted_on, 'infinity') > b.mounted_on
                limit 1
            ) as o
            union all
            select b.mounted_on, format('mount_odometer: %s %s on %s is lower than %s %s read on %s (%s)',
                                        b.mount_odometer, b.odometer_unit, b.mounted_on, r.odometer, r.odometer_unit, r.read_at, r.source)
            from batch as b
            cross join lateral (
                select r.*
                from app.odometer_readings as r
                where r.tenant_id = tenant
                  and r.vehicle_id = b.vehicle_id
                  and r.read_at < b.mounted_on::timestamp
                order by r.read_at desc
                limit 1
            ) as r
            where r.odometer_km > app.distance_in_km(b.mount_odometer, b.odometer_unit) + 0.5
            union all
            select b.mounted_on, format('dismount_odometer: %s %s on %s is higher than %s %s read on %s (%s)',
                                        b.dismount_odometer, b.odometer_unit, b.dismounted_on, r.odometer, r.odometer_unit, r.read_at, r.source)
            from batch as b
            cross join lateral (
                select r.*
                from app.odometer_readings as r
                where r.tenant_id = tenant
                  and r.vehicle_id = b.vehicle_id
                  and r.read_at >= (b.dismounted_on + 1)::timestamp
                order by r.read_at
                limit 1
            ) as r
            where b.dismounted_on is not null
              and not r.is_reset
              and r.odometer_km < app.distance_in_km(b.dismount_odometer, b.odometer_unit) - 0.5
        )
        select p.problem from problems as p order by p.mounted_on limit 1
    );
end
$$;
comment on function app.tire_mounts_problem(uuid, uuid[]) is
    'The first problem of the given mounts, or NULL: a mount that overlaps another of the same vehicle or set, or odometer figures that contradict the vehicle''s readings.';
alter function app.tire_mounts_problem(uuid, uuid[]) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

create or replace function app.tg_tire_mounts_guard()
returns trigger
language plpgsql
as $$
declare
    tenants uuid[];
    ids uuid[];
    touched record;
    problem text;
begin
    select array_agg(n.tenant_id), array_agg(n.id) into tenants, ids from new_rows as n;
    for touched in
        select u.tenant_id, array_agg(u.id) as ids
        from unnest(tenants, ids) as u (tenant_id, id)
        group by u.tenant_id
        order by u.tenant_id
    loop
        perform pg_advisory_xact_lock(hashtextextended(touched.tenant_id::text, 1910));
        problem := app.tire_mounts_problem(touched.tenant_id, touched.ids);
        if problem is not null then
            raise exception using
                errcode = 'check_violation',
                constraint = 'tire_mounts_consistent',
                column = split_part(problem, ':', 1),
                table = 'tire_mounts',
                message = problem,
                hint = 'Dismount the set that is on the vehicle first (dismounted_on, dismount_odometer), on the day of the swap at the latest.';
        end if;
    end loop;
    return null;
end
$$;
comment on function app.tg_tire_mounts_guard() is
    'Statement-level AFTER INSERT / UPDATE trigger of tire_mounts (transition table new_rows): refuses the whole statement when a mount overlaps another of its vehicle or set or contradicts the vehicle''s odometer readings, naming the first.';
create trigger _100_mounts_guard_insert after insert on app.tire_mounts
    referencing new table as new_rows
    for each statement execute function app.tg_tire_mounts_guard();
create trigger _100_mounts_guard_update after update on app.tire_mounts
    referencing new table as new_rows
    for each statement execute function app.tg_tire_mounts_guard();

select app.enable_tenant_rules('app.tire_mounts');

-- tread depth measurements -------------------------------------------------------------------------

create table app.tread_measurements (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    tire_id uuid not null,
    measured_on date not null default current_date,
    odometer integer,
    odometer_unit text,
    position text,
    depth_mm numeric(3, 1) not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint tread_measurements_pkey primary key (tenant_id, id),
    constraint tread_measurements_measured_on_range check (measured_on between date '1886-01-01' and current_date + 1),
    constraint tread_measurements_depth_mm_range check (depth_mm between 0 and 30),
    constraint tread_measurements_odometer_not_negative check (odometer >= 0),
    constraint tread_measurements_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint tread_measurements_position_known check (position in ('front_left', 'front_right', 'rear_left', 'rear_right', 'spare'))
);
comment on table app.tread_measurements is
    'Tread depth of a tire (mm) on a date, at the vehicle odometer of that day while the set was mounted, and the position the tire had.';
select app.distribute_table('app.tread_measurements', 'tenant');
alter table app.tread_measurements
    add constraint tread_measurements_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint tread_measurements_tire_fk foreign key (tenant_id, tire_id)
        references app.tires (tenant_id, id) on delete cascade;
create index tread_measurements_tire_fk_idx on app.tread_measurements (tenant_id, tire_id);
create index tread_measurements_tire_idx on app.tread_measurements (tenant_id, tire_id, measured_on) where deleted_at is null;

create or replace function app.tg_tread_measurements_prepare()
returns trigger
language plpgsql
as $$
begin
    if new.position is null or new.odometer_unit is null then
        select coalesce(new.position, t.position),
               coalesce(new.odometer_unit, (
                   select m.odometer_unit
                   from app.tire_mounts as m
                   where m.tenant_id = t.tenant_id
                     and m.tire_set_id = t.tire_set_id
                     and m.deleted_at is null
                   order by m.mounted_on desc
                   limit 1), 'km')
        into new.position, new.odometer_unit
        from app.tires as t
        where t.tenant_id = coalesce(new.tenant_id, app.current_tenant_id())
          and t.id = new.tire_id;
    end if;
    return new;
end
$$;
comment on function app.tg_tread_measurements_prepare() is
    'BEFORE INSERT OR UPDATE on tread_measurements: position defaults to the tire''s current one, odometer_unit to its set''s latest mount.';
create trigger _200_prepare before insert or update on app.tread_measurements
    for each row execute function app.tg_tread_measurements_prepare();

select app.enable_tenant_rules('app.tread_measurements');

-- distances ------------------------------------------------------------------------------------------

-- km a set has run by a date: closed mounts whole, the mount of that date up to the odometer given
create or replace function app.tire_set_km(tenant uuid, tire_set uuid, on_date date, at_odometer integer, at_unit text)
returns numeric
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query)
begin
    return (
        select sum(case
                   when m.dismounted_on is not null and m.dismounted_on <= on_date
                       then app.distance_in_km(m.dismount_odometer - m.mount_odometer, m.odometer_unit)
                   else greatest(app.distance_in_km(at_odometer, at_unit) - app.distance_in_km(m.mount_odometer, m.odometer_unit), 0)
               end)
        from app.tire_mounts as m
        where m.tenant_id = tenant
          and m.tire_set_id = tire_set
          and m.deleted_at is null
          and m.mounted_on <= on_date
    );
end
$$;
comment on function app.tire_set_km(uuid, uuid, date, integer, text) is
    'Kilometres a tire set has run by on_date: its mounts dismounted by then whole, the one running then up to at_odometer (at_unit).';
alter function app.tire_set_km(uuid, uuid, date, integer, text) set plan_cache_mode = force_custom_plan;  -- a generic plan of it scans the whole table

-- API ------------------------------------------------------------------------------------------------

create or replace view api.tire_sets
with (security_invoker = true)
as
select s.tenant_id, s.id, s.vehicle_id, s.name, s.brand, s.model, s.size, s.season, s.dot_code, s.manufactured_on,
       s.tread_new_mm, s.legal_min_mm, s.rotate_every_km, s.notes,
       s.created_at, s.updated_at, s.created_by, s.updated_by
from app.tire_sets as s
where s.deleted_at is null;
comment on view api.tire_sets is
    'Tire sets of the active tenant''s vehicles: brand, model, size (e.g. 205/55 R16 91V), season (summer, winter, all_season), DOT code (its last 4 digits, week and year, give manufactured_on; a week that does not exist or lies ahead is refused), tread when new and legal minimum (mm), rotate_every_km. tire_set_status has distances and warnings. DELETE moves a set to tire_sets_trash.';
comment on column api.tire_sets.dot_code is 'The DOT code from the sidewall, e.g. DOT 4B9X 3VR 2319 (made in week 23 of 2019).';
comment on column api.tire_sets.manufactured_on is 'The Monday of the week of manufacture, from the DOT code.';
comment on column api.tire_sets.rotate_every_km is 'Rotation interval in km while mounted (rotation reminders in tire_set_status); NULL: none.';
select app.create_trash_api('api.tire_sets', 'tire_set', 'tire sets');
grant select, insert, update on api.tire_sets to app_user;  -- delete: app.create_trash_api

create or replace view api.tires
with (security_invoker = true)
as
select tenant_id, id, tire_set_id, label, position, added_on, created_at, updated_at, created_by, updated_by
from app.tires
where deleted_at is null;
comment on view api.tires is
    'The tires of each set and their positions (front_left, front_right, rear_left, rear_right, spare, or NULL). A rotation is one PATCH (or transaction) moving them; each wheel position holds one tire of a set. DELETE moves a tire to tires_trash.';
select app.create_trash_api('api.tires', 'tire', 'tires');
grant select, insert, update on api.tires to app_user;  -- delete: app.create_trash_api

create or replace view api.tire_mounts
with (security_invoker = true)
as
select tenant_id, id, tire_set_id, vehicle_id, mounted_on, mount_odometer, dismounted_on, dismount_odometer, odometer_unit,
       created_at, updated_at, created_by, updated_by
from app.tire_mounts
where deleted_at is null;
comment on view api.tire_mounts is
    'When each tire set was on a vehicle, with the odometer at mount and dismount (a seasonal swap dismounts one set and mounts another on the same day). Mounts of a vehicle or a set do not overlap and fit the vehicle''s odometer readings (400 naming the first bad row). DELETE moves a mount to tire_mounts_trash.';
select app.create_trash_api('api.tire_mounts', 'tire_mount', 'tire mounts', 'it is checked again');
grant select, insert, update on api.tire_mounts to app_user;  -- delete: app.create_trash_api

create or replace view api.tread_measurements
with (security_invoker = true)
as
select tenant_id, id, tire_id, measured_on, odometer, odometer_unit, position, depth_mm,
       created_at, updated_at, created_by, updated_by
from app.tread_measurements
where deleted_at is null;
comment on view api.tread_measurements is
    'Tread depth measurements (mm) per tire and position, with the vehicle odometer of the day (for the wear rate). tire_wear projects them to the legal minimum. DELETE moves one to tread_measurements_trash.';
select app.create_trash_api('api.tread_measurements', 'tread_measurement', 'tread measurements');
grant select, insert, update on api.tread_measurements to app_user;  -- delete: app.create_trash_api

-- each set: where it is, how far it has run, its age and rotation
create or replace view api.tire_set_status
with (security_invoker = true)
as
select s.vehicle_id,
       s.id as tire_set_id,
       s.name,
       s.season,
       m.vehicle_id as mounted_on_vehicle_id,
       m.mounted_on,
       round(app.tire_set_km(s.tenant_id, s.id, current_date, v.odometer_reading, v.odometer_unit)) as distance_km,
       s.manufactured_on,
       round((current_date - s.manufactured_on) / 365.25, 1) as age_years,
       case
           when current_date - s.manufactured_on >= 3652 then 'replace'
           when current_date - s.manufactured_on >= 2191 then 'inspect'
       end as age_warning,
       round(r.km_since_rotation) as km_since_rotation,
       round(s.rotate_every_km - r.km_since_rotation) as rotation_km_left,
       case when m.id is not null and s.rotate_every_km is not null then
           app.urgency(null, s.rotate_every_km - r.km_since_rotation, 30, 7,
                       coalesce(ts.reminder_urgent_km, 1500), coalesce(ts.reminder_very_urgent_km, 500))
       end as rotation_urgency
from app.tire_sets as s
left join lateral (
    select mm.*
    from app.tire_mounts as mm
    where mm.tenant_id = s.tenant_id
      and mm.tire_set_id = s.id
      and mm.deleted_at is null
      and mm.dismounted_on is null
    limit 1
) as m on true
left join app.vehicles as v on v.tenant_id = s.tenant_id and v.id = coalesce(m.vehicle_id, s.vehicle_id)
left join app.tenant_settings as ts on ts.tenant_id = s.tenant_id and ts.deleted_at is null
left join lateral (
    select app.distance_in_km(v.odometer_reading, v.odometer_unit) - greatest(
               app.distance_in_km(m.mount_odometer, m.odometer_unit),
               (select max(app.distance_in_km(mt.odometer, mt.odometer_unit))
                from app.maintenance as mt
                where mt.tenant_id = s.tenant_id
                  and mt.vehicle_id = m.vehicle_id
                  and mt.type = 'tire_rotation'
                  and mt.status = 'completed'
                  and mt.deleted_at is null
                  and mt.completed_on >= m.mounted_on)) as km_since_rotation
) as r on m.id is not null
where s.deleted_at is null;
comment on view api.tire_set_status is
    'Each tire set of the active tenant: the vehicle it is mounted on (if any), the km it has run over all its mounts (seasonal swaps included), its age from the DOT code with a warning (inspect from 6 years, replace from 10), and for a mounted set with rotate_every_km the km since the last tire_rotation maintenance (or the mount) and the rotation urgency by the tenant''s km thresholds. Read only.';
grant select on api.tire_set_status to app_user;
select app.protect_read_only_view('api.tire_set_status');

-- each tire: distance, latest depth and position, wear rate, projection to the legal minimum
create or replace view api.tire_wear
with (security_invoker = true)
as
select s.vehicle_id,
       t.tire_set_id,
       t.id as tire_id,
       t.label,
       t.position,
       round(k.now_km - k.start_km) as distance_km,
       l.measured_on as last_measured_on,
       l.position as last_measured_position,
       l.depth_mm,
       s.legal_min_mm,
       round(-w.slope * 1000, 3) as mm_per_1000_km,
       round(case when w.slope < 0 then (w.last_depth - s.legal_min_mm) / -w.slope - (k.now_km - w.last_km) end) as km_to_legal_min,
       case when w.slope < 0 then
           current_date + ceil(greatest((w.last_depth - s.legal_min_mm) / -w.slope - (k.now_km - w.last_km), 0)
                               / nullif(dk.km_per_day, 0))::integer
       end as projected_legal_min_on,
       l.depth_mm <= s.legal_min_mm as below_legal_min
from app.tires as t
join app.tire_sets as s on s.tenant_id = t.tenant_id and s.id = t.tire_set_id and s.deleted_at is null
left join lateral (
    select mm.vehicle_id
    from app.tire_mounts as mm
    where mm.tenant_id = s.tenant_id and mm.tire_set_id = s.id and mm.deleted_at is null and mm.dismounted_on is null
    limit 1
) as m on true
left join app.vehicles as v on v.tenant_id = s.tenant_id and v.id = coalesce(m.vehicle_id, s.vehicle_id)
left join lateral (
    select app.daily_km(v.tenant_id, v.id, current_date) as km_per_day
) as dk on m.vehicle_id is not null
left join lateral (
    -- the set's km when the tire joined it and now, from its mounts in one pass (as app.tire_set_km,
    -- inline: three calls of that function per tire, each planned anew, took ~0.6 ms a tire at 1M rows)
    select coalesce(sum(case when mm.dismounted_on <= t.added_on - 1
                             then app.distance_in_km(mm.dismount_odometer - mm.mount_odometer, mm.odometer_unit)
                             else 0 end) filter (where mm.mounted_on <= t.added_on - 1), 0) as start_km,
           sum(case when mm.dismounted_on <= current_date
                    then app.distance_in_km(mm.dismount_odometer - mm.mount_odometer, mm.odometer_unit)
                    else greatest(app.distance_in_km(v.odometer_reading, v.odometer_unit)
                                  - app.distance_in_km(mm.mount_odometer, mm.odometer_unit), 0)
               end) filter (where mm.mounted_on <= current_date) as now_km
    from app.tire_mounts as mm
    where mm.tenant_id = s.tenant_id
      and mm.tire_set_id = s.id
      and mm.deleted_at is null
) as k on true
left join lateral (
    select x.measured_on, x.position, x.depth_mm
    from app.tread_measurements as x
    where x.tenant_id = t.tenant_id and x.tire_id = t.id and x.deleted_at is null
    order by x.measured_on desc, x.created_at desc
    limit 1
) as l on true
left join lateral (
    -- depth against km run: the new tread at the km the tire joined the set, then every measurement
    -- taken while the set was mounted (km: the set's mounts before it whole, that mount up to the
    -- measurement's odometer)
    select regr_slope(p.depth, p.km)::numeric as slope,
           (array_agg(p.depth order by p.measured_on desc, p.created_at desc) filter (where p.measured_on is not null))[1] as last_depth,
           (array_agg(p.km order by p.measured_on desc, p.created_at desc) filter (where p.measured_on is not null))[1] as last_km
    from (
        select s.tread_new_mm as depth, k.start_km as km,
               null::date as measured_on, null::timestamptz as created_at
        union all
        select x.depth_mm, c.km_before + greatest(app.distance_in_km(x.odometer, x.odometer_unit) - c.mount_km, 0),
               x.measured_on, x.created_at
        from (
            -- the set's mounts first (read once per tire), then the measurements of each
            select mm.mounted_on,
                   coalesce(mm.dismounted_on, 'infinity') as dismounted_on,
                   app.distance_in_km(mm.mount_odometer, mm.odometer_unit) as mount_km,
                   coalesce(sum(app.distance_in_km(mm.dismount_odometer - mm.mount_odometer, mm.odometer_unit))
                                over (order by mm.mounted_on rows between unbounded preceding and 1 preceding), 0) as km_before
            from app.tire_mounts as mm
            where mm.tenant_id = s.tenant_id
              and mm.tire_set_id = s.id
              and mm.deleted_at is null
        ) as c
        cross join lateral (
            select x.*
            from app.tread_measurements as x
            where x.tenant_id = t.tenant_id
              and x.tire_id = t.id
              and x.deleted_at is null
              and x.odometer is not null
              and x.measured_on between c.mounted_on and c.dismounted_on
        ) as x
    ) as p
) as w on true
where t.deleted_at is null;
comment on view api.tire_wear is
    'Each tire of the active tenant: km run (its set''s mounts since it joined the set), the latest tread depth and the position it was measured at, the wear rate (mm per 1000 km, a line through the new tread depth and every measurement), the km left to the legal minimum and the date the vehicle that carries it reaches it at its average daily distance (last 90 days). Read only.';
grant select on api.tire_wear to app_user;
select app.protect_read_only_view('api.tire_wear');

grant execute on function
    app.dot_manufactured_on(text),
    app.dot_code_problem(text, date),
    app.tire_mounts_problem(uuid, uuid[]),
    app.tire_set_km(uuid, uuid, date, integer, text)
    to app_user;

commit;
