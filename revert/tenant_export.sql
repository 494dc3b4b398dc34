-- Deploy motovault:tenant_export to pg
-- requires: tenancy_api
-- requires: vehicle_images
-- requires: vehicle_events_from_sources
-- requires: reminders
-- requires: tenant_settings
--
-- A tenant's whole data as one versioned JSON document, and its import into an empty tenant.
-- Both walk the catalog: every table of schema app whose primary key starts with tenant_id is
-- exported and imported, unless app.tenant_export_rules() says otherwise, with its reason. So a
-- tenant table added later is carried without touching this change (tests/pgtap/tenant_export.sql
-- fails when a tenant table is neither exported nor named in the rules).
--
-- Why SQL: the import must pass every rule of the tables (RLS, CHECKs, the odometer guard, the
-- triggers) like any write, in one transaction, and be offered by the API to any client; SQL
-- functions called as the API role do exactly that, and the catalog knows the tables, their
-- columns, keys and foreign keys.

begin;

set local lock_timeout = '5s';

create or replace function app.tenant_export_rules()
returns table (
    table_name text,
    skipped boolean,
    keep_rows text,
    derived_columns text[],
    insert_rank integer,
    insert_order text,
    reason text
)
language sql
immutable
as $$
    values
        ('memberships', true, null, null, null, null,
         'who belongs to the tenant is exported as references (members: user_id and role, never a secret) and imported through api.add_member, the door an owner uses to add a member'),
        ('invitations', true, null, null, null, null,
         'an invitation is a single-use token (its hash is a secret in auth_private) bound to the old tenant: invite again'),
        ('vehicle_event_voids', true, null, null, null, null,
         'written by the _400_record_void trigger of each void event: the import re-creates it from the void events'),
        ('vehicle_events', false,
         't.source_id is null and not exists (select from app.vehicle_events as s where s.tenant_id = t.tenant_id and s.id = t.voids_event_id and s.source_id is not null)',
         null, null, 'r.voids_event_id is not null, r.occurred_at, r.id',
         'events of a source row (fuel log, maintenance, odometer entry, image: source_id set) are written by that row''s triggers, so the import re-creates them instead of doubling them (their past versions are audit history); a hand-written void of such an event is not carried. Voided events go in before their voids'),
        ('vehicles', false, null,
         array['trim', 'body_class', 'vehicle_type', 'fuel_types', 'engine_cylinders', 'engine_displacement_l',
               'engine_power_kw', 'drive_type', 'manufacturer', 'plant_country', 'vin_decoded_at',
               'vin_decode_source', 'vin_filled'],
         null, null,
         'the decoded fields are read-only for the API role (vehicles_decoded_fields_read_only): exported for reading, filled again when the VIN is decoded'),
        ('odometer_entries', false, null, null, -1, 'r.kind = ''reset'' desc, r.read_on, r.read_time',
         'resets split a vehicle''s readings into segments, so they go in before the fill-ups and services read against them'),
        ('fuel_logs', false, null, null, null, 'r.filled_on, r.filled_time nulls first',
         'in the order they were recorded, as a person would have typed them (the odometer guard holds in any order: it runs after the whole statement)'),
        ('maintenance', false, null, null, null, 'r.completed_on nulls last',
         'in the order they were done, the scheduled ones last'),
        ('outbox_events', true, null, null, null, null,
         'the notifications outbox: events already sent (or due to be) about the old tenant; an import must not send them again'),
        ('notify_deliveries', true, null, null, null, null,
         'the delivery worker''s queue and log of the old tenant''s events'),
        ('reminder_alerts', true, null, null, null, null,
         'which reminder was notified in which state: the new tenant''s reminders notify afresh'),
        ('notify_subscriptions', true, null, null, null, null,
         'a subscription''s target and secret are write-only (auth_private): subscribe again, with new secrets'),
        ('calendar_feeds', true, null, null, null, null,
         'a feed is a secret URL of one person: create a new one in the new tenant'),
        ('import_files', true, null, null, null, null,
         'files uploaded for import: what they created is exported as records'),
        ('import_batches', true, null, null, null, null,
         'import history of the old tenant (its files are not carried): what it created is exported as records'),
        ('import_vehicles', true, null, null, null, null,
         'part of an import batch (not carried)'),
        ('import_rows', true, null, null, null, null,
         'part of an import batch (not carried)')
$$;
comment on function app.tenant_export_rules() is
    'The one list of exceptions of the tenant export and import, each with its reason: tables left out (skipped), rows left out (keep_rows: a predicate over t), columns exported but not imported (derived_columns), and the insert order (insert_rank among tables of one dependency level, insert_order within a table, over r). Every other tenant table of schema app is carried whole.';

create or replace function app.tenant_export_tables()
returns table (
    table_name text,
    step integer,
    columns text[],
    import_columns text[],
    uuid_columns text[],
    id_columns text[],
    key_columns text[],
    keep_rows text,
    insert_order text
)
language sql
stable
as $$
    with recursive tenant_tables as (
        select c.oid, c.relname::text as table_name
        from pg_class as c
        join pg_constraint as k on k.conrelid = c.oid and k.contype = 'p'
        join pg_attribute as a on a.attrelid = c.oid and a.attnum = k.conkey[1]
        where c.relnamespace = 'app'::regnamespace
          and c.relkind in ('r', 'p')
          and not c.relispartition
          and a.attname = 'tenant_id'
    ),
    carried as (
        select t.*
        from tenant_tables as t
        where not exists (
            select from app.tenant_export_rules() as x where x.table_name = t.table_name and x.skipped)
    ),
    depends as (
        select distinct k.conrelid as child, k.confrelid as parent
        from pg_constraint as k
        join carried as c on c.oid = k.conrelid
        join carried as p on p.oid = k.confrelid
        where k.contype = 'f' and k.conrelid <> k.confrelid and k.conparentid = 0
    ),
    depth (oid, level) as (
        select c.oid, 0 from carried as c
        union all
        select d.child, depth.level + 1
        from depth
        join depends as d on d.parent = depth.oid
        where depth.level < 50
    ),
    levels as (
        select oid, max(level) as level from depth group by oid
    )
    select
        c.table_name,
        (row_number() over (order by l.level, coalesce(x.insert_rank, 0), c.table_name))::integer,
        array(
            select a.attname::text
            from pg_attribute as a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
              and a.attname <> 'tenant_id'
              and not (a.attname in ('created_at', 'updated_at', 'created_by', 'updated_by') and exists (
                  select from pg_trigger as g
                  where g.tgrelid = c.oid and g.tgfoid = 'app.tg_stamp_row()'::regprocedure))
            order by a.attnum),
        array(
            select a.attname::text
            from pg_attribute as a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
              and a.attname <> 'tenant_id'
              and not (a.attname in ('created_at', 'updated_at', 'created_by', 'updated_by') and exists (
                  select from pg_trigger as g
                  where g.tgrelid = c.oid and g.tgfoid = 'app.tg_stamp_row()'::regprocedure))
              and not (a.attname = any (coalesce(x.derived_columns, '{}')))
              and a.attidentity <> 'a'
            order by a.attnum),
        array(
            select a.attname::text
            from pg_attribute as a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
              and a.atttypid = 'uuid'::regtype and a.attname <> 'tenant_id'
            order by a.attnum),
        array(
            select a.attname::text
            from pg_constraint as k
            join pg_attribute as a on a.attrelid = k.conrelid and a.attnum = any (k.conkey)
            where k.conrelid = c.oid and k.contype = 'p'
              and a.atttypid = 'uuid'::regtype and a.attname <> 'tenant_id'
            order by a.attnum),
        array(
            select a.attname::text
            from pg_constraint as k
            cross join unnest(k.conkey) with ordinality as u(attnum, n)
            join pg_attribute as a on a.attrelid = k.conrelid and a.attnum = u.attnum
            where k.conrelid = c.oid and k.contype = 'p' and a.attname <> 'tenant_id'
            order by u.n),
        x.keep_rows,
        x.insert_order
    from carried as c
    join levels as l on l.oid = c.oid
    left join app.tenant_export_rules() as x on x.table_name = c.table_name
$$;
comment on function app.tenant_export_tables() is
    'The tenant tables the export carries, found in the catalog (schema app, primary key led by tenant_id, not skipped by app.tenant_export_rules()), in insert order (foreign-key dependencies first), with the columns exported (neither generated nor stamped by app.tg_stamp_row), the columns imported (not derived, not generated always as identity), the uuid columns remapped on import, the uuid columns of the primary key (each gets a new id) and the primary key after tenant_id (the export''s row order).';

create or replace function app.require_tenant_owner(what text)
returns void
language plpgsql
stable
as $$
begin
    if app.current_member_role() is distinct from 'owner' then
        raise sqlstate 'PT403' using
            message = format('role: only an owner of the tenant may %s (you are %s)', what,
                             coalesce(app.current_member_role(), 'not a member')),
            hint = 'Ask an owner of the tenant.';
    end if;
end
$$;
comment on function app.require_tenant_owner(text) is 'Raises 403 unless the caller is an owner of the active tenant; what names the action in the message.';

create or replace function api.export_tenant()
returns jsonb
language plpgsql
stable
as $$
declare
    t record;
    rows jsonb;
    tables jsonb := '{}';
    tenant app.tenants;
begin
    perform app.require_tenant_owner('export its data');
    select * into tenant from app.tenants as x where x.id = app.current_tenant_id();
    for t in select * from app.tenant_export_tables() as e order by e.step loop
        execute format(
            'select coalesce(jsonb_agg(to_jsonb(t) - $1 order by %s), ''[]'') from app.%I as t '
            'where t.tenant_id = app.current_tenant_id()%s',
            coalesce((select string_agg(format('t.%I', c), ', ') from unnest(t.key_columns) as c), 'true'),
            t.table_name,
            coalesce(' and (' || t.keep_rows || ')', ''))
        using array(
            select a.attname::text
            from pg_attribute as a
            where a.attrelid = format('app.%I', t.table_name)::regclass and a.attnum > 0 and not a.attisdropped
              and not (a.attname = any (t.columns)))
        into rows;
        tables := tables || jsonb_build_object(t.table_name, rows);
    end loop;
    return jsonb_build_object(
        'format', 'motovault.tenant',
        'version', 1,
        'exported_at', now(),
        'tenant', jsonb_build_object('id', tenant.id, 'name', tenant.name, 'kind', tenant.kind),
        'members', (
            select coalesce(jsonb_agg(jsonb_build_object('user_id', m.user_id, 'role', m.role) order by m.user_id), '[]')
            from app.memberships as m
            where m.tenant_id = app.current_tenant_id() and m.deleted_at is null),
        'tables', tables);
end
$$;
comment on function api.export_tenant() is
    'The active tenant''s whole data as one JSON document (format motovault.tenant, version 1): every tenant table under tables (soft-deleted rows with their deleted_at; images as metadata), members as references (user_id, role). Owners only. api.import_tenant reads it back into an empty tenant. docs/exports.md describes it.';

create or replace function api.import_tenant(doc jsonb)
returns jsonb
language plpgsql
volatile
as $$
declare
    t record;
    rows jsonb;
    id_map jsonb := '{}';
    counts jsonb := '{}';
    member jsonb;
    members_added integer := 0;
    members_skipped jsonb := '[]';
    problem text;
    has_rows boolean;
    inserted integer;
begin
    perform app.require_tenant_owner('import data into it');
    if jsonb_typeof(doc) is distinct from 'object' or doc ->> 'format' is distinct from 'motovault.tenant' then
        raise exception using
            errcode = 'invalid_parameter_value', column = 'format',
            message = format('format: expected "motovault.tenant", got %s', coalesce((doc -> 'format')::text, 'nothing')),
            hint = 'Send the document GET /rpc/export_tenant returned, as {"doc": ...}.';
    end if;
    if doc -> 'version' is distinct from '1'::jsonb then
        raise exception using
            errcode = 'invalid_parameter_value', column = 'version',
            message = format('version: this server reads version 1 of motovault.tenant, not %s',
                             coalesce((doc -> 'version')::text, 'a document without a version')),
            hint = 'Import it into a motovault as new as the one that exported it.';
    end if;
    if jsonb_typeof(doc -> 'tables') is distinct from 'object' then
        raise exception using
            errcode = 'invalid_parameter_value', column = 'tables',
            message = 'tables: expected an object of table name -> array of rows';
    end if;
    select string_agg(k, ', ' order by k) into problem
    from jsonb_object_keys(doc -> 'tables') as k
    where not exists (select from app.tenant_export_tables() as e where e.table_name = k);
    if problem is not null then
        raise exception using
            errcode = 'invalid_parameter_value', column = 'tables',
            message = format('tables: %s unknown to this server (nothing is dropped silently)', problem),
            hint = 'Import it into a motovault as new as the one that exported it.';
    end if;

    -- the target tenant is empty, and the rows name only columns this server imports
    for t in select * from app.tenant_export_tables() as e order by e.step loop
        execute format('select exists (select from app.%I as t where t.tenant_id = app.current_tenant_id())', t.table_name)
        into has_rows;
        if has_rows then
            raise sqlstate 'PT409' using
                message = format('tenant: not empty (%s has rows); a tenant is imported into a new, empty tenant', t.table_name),
                hint = 'Create a tenant (POST /rpc/create_tenant) and import into it.';
        end if;
        rows := coalesce(doc -> 'tables' -> t.table_name, '[]');
        if jsonb_typeof(rows) <> 'array' then
            raise exception using
                errcode = 'invalid_parameter_value', column = 'tables',
                message = format('tables.%s: expected an array of rows', t.table_name);
        end if;
        select string_agg(distinct k, ', ') into problem
        from jsonb_array_elements(rows) as r, jsonb_object_keys(r) as k
        where not (k = any (t.columns));
        if problem is not null then
            raise exception using
                errcode = 'invalid_parameter_value', column = 'tables',
                message = format('tables.%s: column %s unknown or not imported (nothing is dropped silently)', t.table_name, problem),
                hint = 'Generated columns, tenant_id and the created/updated stamps are not part of the document.';
        end if;
        -- every id gets a new one
        select id_map || coalesce(jsonb_object_agg(v.old_id, app.uuid_v7()), '{}') into id_map
        from (
            select distinct r ->> c as old_id
            from jsonb_array_elements(rows) as r, unnest(t.id_columns) as c
            where r ->> c is not null
        ) as v;
    end loop;

    -- triggers that must not act on imported history (say, notifications) can tell an import
    perform set_config('motovault.importing', 'on', true);

    -- insert table by table (foreign-key dependencies first), every uuid of the document remapped
    for t in select * from app.tenant_export_tables() as e order by e.step loop
        rows := coalesce(doc -> 'tables' -> t.table_name, '[]');
        continue when jsonb_array_length(rows) = 0;
        select jsonb_agg(
            (select jsonb_object_agg(
                        e.key,
                        case
                            when e.key = any (t.uuid_columns) and id_map ? (e.value #>> '{}')
                            then id_map -> (e.value #>> '{}')
                            when jsonb_typeof(e.value) = 'object'  -- a payload naming a row (image_id, ...)
                            then (select coalesce(jsonb_object_agg(
                                             p.key,
                                             case when jsonb_typeof(p.value) = 'string' and id_map ? (p.value #>> '{}')
                                                  then id_map -> (p.value #>> '{}') else p.value end), '{}')
                                  from jsonb_each(e.value) as p)
                            else e.value
                        end)
             from jsonb_each(r.value) as e
             where e.key = any (t.import_columns))
            order by r.ordinality)
        into rows
        from jsonb_array_elements(rows) with ordinality as r;
        execute format(
            'insert into app.%I (tenant_id, %s) select app.current_tenant_id(), %s '
            'from jsonb_populate_recordset(null::app.%I, $1) with ordinality as r order by %s',
            t.table_name,
            (select string_agg(format('%I', c), ', ') from unnest(t.import_columns) as c),
            (select string_agg(format('r.%I', c), ', ') from unnest(t.import_columns) as c),
            t.table_name,
            coalesce(t.insert_order || ', ', '') || 'r.ordinality')
        using rows;
        get diagnostics inserted = row_count;
        counts := counts || jsonb_build_object(t.table_name, inserted);
    end loop;

    -- members, through the owner's own door (the caller stays the owner they are)
    for member in select * from jsonb_array_elements(coalesce(doc -> 'members', '[]')) loop
        continue when (member ->> 'user_id')::uuid = app.current_user_id();
        begin
            perform api.add_member((member ->> 'user_id')::uuid, member ->> 'role');
            members_added := members_added + 1;
        exception when others then
            members_skipped := members_skipped || jsonb_build_object('user_id', member ->> 'user_id', 'reason', sqlerrm);
        end;
    end loop;

    perform set_config('motovault.importing', '', true);
    return jsonb_build_object(
        'rows', counts,
        'members_added', members_added,
        'members_skipped', members_skipped,
        'ids', id_map);
end
$$;
comment on function api.import_tenant(jsonb) is
    'Imports a document of api.export_tenant (format motovault.tenant, version 1) into the active tenant, which must be empty (else 409): every row gets a new id and every reference follows it; each row passes the tables'' rules like any write, and the whole import is one transaction. Members are added through add_member. Owners only. Returns rows per table, members added or skipped, and ids (old id -> new id).';

grant execute on function app.tenant_export_rules() to app_user;
grant execute on function app.tenant_export_tables() to app_user;
grant execute on function app.require_tenant_owner(text) to app_user;
grant execute on function api.export_tenant() to app_user;
grant execute on function api.import_tenant(jsonb) to app_user;

commit;
