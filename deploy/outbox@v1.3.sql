-- Deploy motovault:outbox to pg
-- requires: outbox@v1.2
--
-- Reworked after @v1.2: the record triggers cost 11-12% of a 1,000-row insert (target 10%,
-- bench/notify_bench.py). Two costs went (docs/notifications.md, "What the outbox costs"):
--   * event ids: app.uuid_v7() per event was 2.5 µs of the ~9 µs an event row costs. Now one
--     version 7 UUID per statement, and the statement's next events count up from its random low
--     bits (RFC 9562 section 6.2, method 2: "monotonic random"): app.uuid_v7_step, 0.3 µs.
--     Ids stay time-ordered, unique and version 7; events of one statement are consecutive.
--   * EXECUTE format(...) per statement: parsed and planned every time, the larger share of the
--     cost on single-row inserts. The triggers run static SQL now, planned once per trigger, with
--     one function per table shape: app.tg_outbox_records (tables with vehicle_id),
--     app.tg_outbox_vehicles (the vehicle is the row), app.tg_outbox_garages (no vehicle).
-- What the events are and when they are written is unchanged.

begin;

set local lock_timeout = '5s';

create or replace function app.uuid_v7_step(first_id bytea, first_low bigint, step bigint)
returns uuid
language sql
immutable
strict
parallel safe
return encode(
    overlay(first_id placing int8send(((first_low + step) & 4611686018427387903) | (-9223372036854775808)) from 9 for 8),
    'hex')::uuid;
comment on function app.uuid_v7_step(bytea, bigint, bigint) is
    'The step-th version 7 UUID after first_id (uuid_send of an app.uuid_v7()), whose low 62 random bits are first_low: first_id with first_low + step in those bits and the RFC 9562 variant kept (method 2, "monotonic random"). One app.uuid_v7() per statement, then this per row: 0.3 µs instead of 2.5 µs.';

create or replace function app.uuid_v7_low_bits(first_id bytea)
returns bigint
language sql
immutable
strict
parallel safe
return ('x' || encode(substr(first_id, 9, 8), 'hex'))::bit(64)::bigint & 4611686018427387903;
comment on function app.uuid_v7_low_bits(bytea) is
    'The low 62 random bits of a version 7 UUID (uuid_send of it): what app.uuid_v7_step counts up from.';

create or replace function app.tg_outbox_records()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    record_type constant text := tg_argv[0];
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    written bigint;
begin
    if tg_op = 'INSERT' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), record_type || '.created',
               n.vehicle_id, jsonb_build_object('id', n.id, 'vehicle_id', n.vehicle_id)
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select o.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), record_type || '.deleted',
               o.vehicle_id, jsonb_build_object('id', o.id, 'vehicle_id', o.vehicle_id)
        from old_rows as o
        where o.deleted_at is null;
    else
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()),
               record_type || case
                   when o.deleted_at is null and n.deleted_at is null then '.updated'
                   when o.deleted_at is null then '.deleted'
                   else '.restored'
               end,
               n.vehicle_id, jsonb_build_object('id', n.id, 'vehicle_id', n.vehicle_id)
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_records() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on a record table with a vehicle_id column (transition tables new_rows, old_rows): one outbox event per changed row, <record>.created / updated / deleted (soft delete) / restored, with {id, vehicle_id}, written by one INSERT ... SELECT per statement. Argument: the record type.';

create or replace function app.tg_outbox_vehicles()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    written bigint;
begin
    if tg_op = 'INSERT' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'vehicle.created',
               n.id, jsonb_build_object('id', n.id, 'vehicle_id', n.id)
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select o.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'vehicle.deleted',
               o.id, jsonb_build_object('id', o.id, 'vehicle_id', o.id)
        from old_rows as o
        where o.deleted_at is null;
    else
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()),
               case
                   when o.deleted_at is null and n.deleted_at is null then 'vehicle.updated'
                   when o.deleted_at is null then 'vehicle.deleted'
                   else 'vehicle.restored'
               end,
               n.id, jsonb_build_object('id', n.id, 'vehicle_id', n.id)
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_vehicles() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on vehicles: as app.tg_outbox_records, with the vehicle''s own id as vehicle_id.';

create or replace function app.tg_outbox_garages()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    first_id constant bytea := uuid_send(app.uuid_v7());
    first_low constant bigint := app.uuid_v7_low_bits(first_id);
    written bigint;
begin
    if tg_op = 'INSERT' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'garage.created',
               null, jsonb_build_object('id', n.id, 'vehicle_id', null)
        from new_rows as n
        where n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select o.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()), 'garage.deleted',
               null, jsonb_build_object('id', o.id, 'vehicle_id', null)
        from old_rows as o
        where o.deleted_at is null;
    else
        insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
        select n.tenant_id, app.uuid_v7_step(first_id, first_low, row_number() over ()),
               case
                   when o.deleted_at is null and n.deleted_at is null then 'garage.updated'
                   when o.deleted_at is null then 'garage.deleted'
                   else 'garage.restored'
               end,
               null, jsonb_build_object('id', n.id, 'vehicle_id', null)
        from new_rows as n
        join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
        where (o.deleted_at is null or n.deleted_at is null);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_garages() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on garages: as app.tg_outbox_records, with no vehicle (vehicle_id null).';

do $$
declare
    t record;
begin
    for t in
        select *
        from (values
            ('app.vehicles', 'app.tg_outbox_vehicles()'),
            ('app.garages', 'app.tg_outbox_garages()')
        ) as v(tbl, fn)
    loop
        execute format('drop trigger _800_outbox_insert on %s', t.tbl);
        execute format('drop trigger _800_outbox_update on %s', t.tbl);
        execute format('drop trigger _800_outbox_delete on %s', t.tbl);
        execute format(
            'create trigger _800_outbox_insert after insert on %s referencing new table as new_rows '
            'for each statement execute function %s', t.tbl, t.fn);
        execute format(
            'create trigger _800_outbox_update after update on %s referencing old table as old_rows new table as new_rows '
            'for each statement execute function %s', t.tbl, t.fn);
        execute format(
            'create trigger _800_outbox_delete after delete on %s referencing old table as old_rows '
            'for each statement execute function %s', t.tbl, t.fn);
    end loop;
end
$$;

commit;
