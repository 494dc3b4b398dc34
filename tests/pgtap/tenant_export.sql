-- The tenant export: every tenant table is carried or excused, and export -> import -> export gives
-- the same document apart from ids, on a tenant with data in every table. The import is queued by
-- api.import_tenant and written by the worker's steps (claim as vin_worker, then begin, the chunks of
-- rows and finish as the owner: what motovault.importing.tenant runs), here in chunks of 3 rows.
begin;
select plan(23);

-- what the worker does with a tenant import it claimed, as the owner (src/motovault/importing/tenant.py)
create function pg_temp.work(job uuid) returns jsonb
language plpgsql as $$
declare
    c record;
    outcome jsonb;
begin
    for c in select * from app.tenant_import_begin(job, 'pgtap', 3) order by step loop
        outcome := app.tenant_import_rows(job, 'pgtap', c.table_name, c.first_row, c.row_count);
        if not outcome ? 'inserted' then
            return outcome;  -- refused: the worker rolls the import back and records this
        end if;
    end loop;
    return app.tenant_import_finish(job, 'pgtap');
end
$$;

-- every table of schema app with a tenant_id column is exported, or skipped with its reason
select is(
    array(
        select c.relname::text
        from pg_class as c
        join pg_attribute as a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
        where c.relnamespace = 'app'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
          and not exists (select from app.tenant_export_tables() as e where e.table_name = c.relname)
          and not exists (select from app.tenant_export_rules() as x where x.table_name = c.relname and x.skipped)
        order by 1),
    '{}'::text[],
    'every tenant table is exported or named, with its reason, in app.tenant_export_rules()');
select is(
    array(
        select x.table_name from app.tenant_export_rules() as x
        where to_regclass(format('app.%I', x.table_name)) is null or coalesce(x.reason, '') = ''
        order by 1),
    '{}'::text[],
    'every rule names a table that exists, and gives a reason');
select ok(
    (select array_position(array_agg(table_name order by step), 'vehicles')
          < array_position(array_agg(table_name order by step), 'fuel_logs')
        and array_position(array_agg(table_name order by step), 'garages')
          < array_position(array_agg(table_name order by step), 'vehicles')
        and array_position(array_agg(table_name order by step), 'odometer_entries')
          < array_position(array_agg(table_name order by step), 'fuel_logs')
     from app.tenant_export_tables()),
    'tables go in after the tables they reference (garages, vehicles, then fill-ups); resets before fill-ups');
select is(
    (select columns from app.tenant_export_tables() where table_name = 'fuel_logs')
        && array['read_at', 'energy_kind', 'created_at', 'updated_by', 'tenant_id'],
    false,
    'generated columns, stamps and tenant_id are not exported');

-- a tenant with data in every table -----------------------------------------------------------
select tests.new_tenant('Old home') as old \gset
select tests.new_member(:'old', 'owner') as owner \gset
select tests.new_member(:'old', 'viewer') as viewer \gset
select tests.new_tenant('New home') as new \gset
select tests.new_member(:'new', 'owner', :'owner') as ignored \gset
select tests.new_tenant('Busy home') as busy \gset
select tests.new_member(:'busy', 'owner', :'owner') as ignored \gset
select tests.new_garage(:'busy') as ignored \gset

-- a tenant table added later (here: in this test) is carried without any change to the export
create table app.zz_later_table (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    vehicle_id uuid not null,
    label text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint zz_later_table_pkey primary key (tenant_id, id),
    constraint zz_later_table_vehicle_fk foreign key (tenant_id, vehicle_id) references app.vehicles (tenant_id, id)
);
select app.enable_tenant_rules('app.zz_later_table');

select tests.become(:'owner', :'old');
insert into api.garages (name, address, timezone, is_default) values ('Home', '1 Main St', 'Europe/Berlin', true)
returning id as garage \gset
insert into api.garages (name) values ('Old shed') returning id as shed \gset
delete from api.garages where id = :'shed';
insert into api.vehicles (display_name, make, model, year, odometer_unit, garage_id, license_plate, vin)
values ('Daily', 'Honda', 'Civic', 2015, 'mi', :'garage', 'ABC-123', '1HGCM82633A004352')
returning id as car \gset
insert into api.vehicles (display_name, odometer_unit) values ('Van', 'km') returning id as van \gset
insert into api.vehicles (display_name) values ('Sold') returning id as sold \gset
-- readings, a reset (new cluster at 100 km), fill-ups after it read lower than before it
insert into api.odometer_entries (vehicle_id, read_on, odometer, notes) values (:'van', '2024-01-01', 50000, 'bought');
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit, currency, is_full, station_name)
values (:'van', '2024-02-01', 50600, 40, 'l', 1.799, 'EUR', true, 'Aral');
insert into api.odometer_entries (vehicle_id, kind, read_on, odometer, notes) values (:'van', 'reset', '2024-03-01', 100, 'new cluster');
insert into api.fuel_logs (vehicle_id, filled_on, filled_time, odometer, volume, volume_unit, total_cost, currency, is_full)
values (:'van', '2024-03-10', '08:15', 700, 20.5, 'l', 36.90, 'EUR', false);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, total_cost, currency, is_full, missed_previous)
values (:'van', '2024-04-10', 1900, 45, 'l', 80.55, 'EUR', true, true);
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit, price_per_unit, currency, notes)
values (:'car', '2024-05-01', 81000, 10.2, 'gal_us', 3.459, 'USD', 'road trip')
returning id as typo \gset
update api.fuel_logs set notes = 'road trip, corrected' where id = :'typo';
insert into api.fuel_logs (vehicle_id, filled_on, odometer, volume, volume_unit)
values (:'car', '2024-05-20', 81400, 9.8, 'gal_us') returning id as gone \gset
delete from api.fuel_logs where id = :'gone';
-- a maintenance series: scheduled, completed (the next occurrence is made by the trigger), plus a record
insert into api.maintenance (vehicle_id, status, type, description, due_on, recur_months, recur_distance, due_odometer)
values (:'car', 'scheduled', 'oil_change', 'Oil and filter', '2024-06-01', 6, 5000, 82000)
returning id as oil \gset
select count(*) as ignored from api.complete_maintenance(:'oil', '2024-05-30', 81500, 59.90, 'USD', 'Quick Lube') \gset
insert into api.maintenance (vehicle_id, type, description, completed_on, odometer, cost, currency)
values (:'van', 'brake_service', 'Front pads', '2024-04-01', 1500, 240, 'EUR');
-- reminders: open, snoozed, done (recurring: the next one is made), dismissed
insert into api.reminders (vehicle_id, title, category, due_on) values (:'car', 'Insurance', 'insurance', '2025-01-01');
insert into api.reminders (vehicle_id, title, due_odometer, status, snoozed_until)
values (:'van', 'Tires', 2500, 'snoozed', '2024-12-01');
insert into api.reminders (vehicle_id, title, category, due_on, recur_months)
values (:'car', 'Registration', 'registration', '2024-03-01', 12) returning id as reg \gset
update api.reminders set status = 'done' where id = :'reg';
insert into api.reminders (vehicle_id, title, due_on, status) values (:'van', 'Wash', '2024-02-01', 'dismissed');
-- hand-written events (one voided by another), images (one primary, one in the trash), settings
insert into api.vehicle_events (vehicle_id, type, occurred_at, payload)
values (:'car', 'note', '2024-01-05 10:00+00', '{"text": "bought it"}') returning id as note \gset
insert into api.vehicle_events (vehicle_id, type, occurred_at, payload)
values (:'car', 'registration', '2024-03-02 09:00+00', '{"expires_on": "2025-03-01", "region": "CA"}');
insert into api.vehicle_events (vehicle_id, type, payload, voids_event_id)
values (:'car', 'void', '{"reason": "wrong car"}', :'note');
insert into api.vehicle_images (vehicle_id, storage_key, content_type, bytes, sha256, width, height, caption, is_primary, taken_at)
values (:'car', 'cars/front.jpg', 'image/jpeg', 20480, repeat('ab', 32), 1600, 1200, 'Front', true, '2024-01-05 10:00+00');
insert into api.vehicle_images (vehicle_id, storage_key, content_type, bytes, sha256)
values (:'van', 'vans/blurry.png', 'image/png', 999, repeat('cd', 32)) returning id as blurry \gset
delete from api.vehicle_images where id = :'blurry';
insert into api.tenant_settings (reminder_urgent_days, reminder_very_urgent_days) values (45, 10);
delete from api.vehicles where id = :'sold';
insert into app.zz_later_table (vehicle_id, label) values (:'van', 'added by a later change');

select api.export_tenant() as doc1 \gset

select is(
    array(
        select t from unnest(array['garages', 'vehicles', 'fuel_logs', 'odometer_entries', 'maintenance', 'reminders',
                                   'vehicle_events', 'vehicle_images', 'tenant_settings', 'zz_later_table']) as t
        where jsonb_array_length(:'doc1'::jsonb -> 'tables' -> t) = 0),
    '{}'::text[],
    'the export has rows of every table, also of a table it was never told about');
select is(
    (select jsonb_agg(r -> 'deleted_at' is not null and r -> 'deleted_at' <> 'null' order by r ->> 'name')
     from jsonb_array_elements(:'doc1'::jsonb -> 'tables' -> 'garages') as r),
    '[false, true]'::jsonb,
    'soft-deleted rows are in it, flagged by deleted_at');
select is(
    (select count(*)::integer from jsonb_array_elements(:'doc1'::jsonb -> 'tables' -> 'vehicle_events')),
    3,
    'events of source rows are left out (their rows make them again); hand-written events are in');
select is(
    :'doc1'::jsonb -> 'members',
    (select jsonb_agg(jsonb_build_object('user_id', u, 'role', r) order by u)
     from (values (:'owner'::uuid, 'owner'), (:'viewer'::uuid, 'viewer')) as m(u, r)),
    'members are references: user_id and role');

-- refusals -----------------------------------------------------------------------------------------
select tests.become(:'viewer', :'old');
select throws_ok($$select api.export_tenant()$$, 'PT403', null, 'a viewer does not export');
select tests.become(:'owner', :'busy');
select throws_like(format('select api.import_tenant(%L)', :'doc1'),
                   'tenant: not empty (garages has rows)%', 'a tenant with rows is refused (409)');
select tests.become(:'owner', :'new');
select throws_like(format('select api.import_tenant(%L)', jsonb_set(:'doc1'::jsonb, '{version}', '2')),
                   'version: this server reads version 1 of motovault.tenant, not 2', 'a newer version is refused, named');
select throws_like(format('select api.import_tenant(%L)', jsonb_set(:'doc1'::jsonb, '{tables,spaceships}', '[]')),
                   'tables: spaceships unknown to this server%', 'a table this server does not know is refused, named');
select throws_like(
    format('select api.import_tenant(%L)',
           jsonb_set(:'doc1'::jsonb, '{tables,garages,0,colour}', '"red"')),
    'tables.garages: column colour unknown%', 'a column this server does not import is refused, named');

-- the round trip -------------------------------------------------------------------------------
select api.import_tenant(:'doc1') as queued \gset
select is(
    :'queued'::jsonb - 'import_id',
    jsonb_build_object('status', 'queued', 'rows_total', (
        select sum(jsonb_array_length(t.value))::integer from jsonb_each(:'doc1'::jsonb -> 'tables') as t)),
    'the request records the import and counts its rows');
select is(
    (select array[status, (select count(*) from api.vehicles)::text] from api.tenant_imports where id = (:'queued'::jsonb ->> 'import_id')::uuid),
    array['queued', '0'],
    'the worker has not written anything yet');
select throws_like(format('select api.import_tenant(%L)', :'doc1'),
                   'tenant: tenant import % is already under way%', 'one import at a time (409)');
select tests.unbecome();
set role vin_worker;
select import_id as job from app.tenant_import_claim('pgtap', 60) \gset
reset role;
select tests.become(:'owner', :'new');
select pg_temp.work(:'job') as result \gset
select is(
    (select jsonb_build_object('status', status, 'done', rows_done = rows_total, 'result', result = :'result'::jsonb)
     from api.tenant_imports where id = :'job'),
    '{"status": "imported", "done": true, "result": true}'::jsonb,
    'the worker imported it; the client reads the result');
select is(current_setting('motovault.importing', true), '', 'motovault.importing is off after the import');
select api.export_tenant() as doc2 \gset
select tests.unbecome();

create function pg_temp.canon(tables jsonb, ids jsonb) returns jsonb
language sql as $$
    select jsonb_object_agg(t.key, (
        select coalesce(jsonb_agg(x.row order by x.row::text), '[]')
        from (
            select (
                select jsonb_object_agg(e.key, case
                    when jsonb_typeof(e.value) = 'string' and ids ? (e.value #>> '{}') then ids -> (e.value #>> '{}')
                    when jsonb_typeof(e.value) = 'object' then (
                        select coalesce(jsonb_object_agg(p.key, case
                            when jsonb_typeof(p.value) = 'string' and ids ? (p.value #>> '{}') then ids -> (p.value #>> '{}')
                            else p.value end), '{}')
                        from jsonb_each(e.value) as p)
                    else e.value end)
                from jsonb_each(r) as e) as row
            from jsonb_array_elements(t.value) as r
        ) as x))
    from jsonb_each(tables) as t
$$;

select is(
    pg_temp.canon(:'doc2'::jsonb -> 'tables', '{}'),
    pg_temp.canon(:'doc1'::jsonb -> 'tables', :'result'::jsonb -> 'ids'),
    'export -> import -> export gives the same tables, apart from ids');
select is(:'doc2'::jsonb -> 'members', :'doc1'::jsonb -> 'members', 'and the same members');
select is(
    (select odometer_reading from app.vehicles where tenant_id = :'new' and display_name = 'Van'),
    1900,
    'the odometer follows the imported readings (after the reset)');
select is(
    (select jsonb_build_object('rows with an event', count(distinct source_id), 'events', count(*))
     from app.vehicle_events where tenant_id = :'new' and source_id is not null),
    (select jsonb_build_object('rows with an event', n, 'events', n)
     from (select (select count(*) from app.fuel_logs where tenant_id = :'new' and deleted_at is null)
                + (select count(*) from app.odometer_entries where tenant_id = :'new' and deleted_at is null)
                + (select count(*) from app.maintenance where tenant_id = :'new' and status = 'completed')
                + (select count(*) from app.vehicle_images where tenant_id = :'new') as n) as x),
    'the import makes one event per source row (photos too), not two');

-- a trigger can tell an import from a hand-made write (motovault.importing), e.g. to not notify
create function pg_temp.tg_refuse_imports() returns trigger language plpgsql as $$
begin
    if current_setting('motovault.importing', true) = 'on' then
        raise exception 'zz_later_table: importing';
    end if;
    return new;
end
$$;
create trigger _100_refuse_imports before insert on app.zz_later_table
for each row execute function pg_temp.tg_refuse_imports();
select tests.new_tenant('Third home') as third \gset
select tests.new_member(:'third', 'owner', :'owner') as ignored \gset
select tests.become(:'owner', :'third');
select api.import_tenant(:'doc1') ->> 'import_id' as job3 \gset
select tests.unbecome();
set role vin_worker;
select import_id as ignored from app.tenant_import_claim('pgtap', 60) \gset
reset role;
select tests.become(:'owner', :'third');
select is(pg_temp.work(:'job3') - 'detail',
          '{"table": "zz_later_table", "row": 0, "field": null, "rule": "sqlstate P0001", "sqlstate": "P0001", "message": "tables.zz_later_table[0]: zz_later_table: importing"}'::jsonb,
          'motovault.importing is on while the import writes; a refused row is named by table and index');
select tests.unbecome();

select * from finish();
rollback;
