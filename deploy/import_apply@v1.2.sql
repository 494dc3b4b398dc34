-- Deploy motovault:import_apply to pg
-- requires: import_batches
--
-- Preview, commit and undo of an import batch (docs/imports.md). All three run as the calling member
-- (security invoker): every staged row is inserted through the same api view a client would use
-- (api.fuel_logs, api.maintenance, api.odometer_entries, api.vehicles), so it meets every rule a row
-- typed by hand meets (CHECKs, odometer consistency, units, RLS), each row in its own subtransaction.
--   preview  applies the whole batch, records per row create / duplicate / error (field, rule, value) /
--            unsupported, then rolls every write back: what it calls an error is exactly what commit
--            refuses;
--   commit   applies it for real: all or nothing (the first refused line is the 409), or skipping the
--            refused lines when asked; a created row keeps its fingerprint, so a later import of the
--            same record is a duplicate;
--   undo     moves everything the batch created (records, then vehicles) to the trash in one call.

begin;

set local lock_timeout = '5s';

create or replace function app.import_target(kind text)
returns text
language sql
immutable
parallel safe
return case
    when kind = 'fuel' then 'fuel_logs'
    when kind in ('service', 'repair', 'upgrade') then 'maintenance'
    when kind = 'odometer' then 'odometer_entries'
end;
comment on function app.import_target(text) is
    'The table a staged row of this kind goes to (fuel_logs, maintenance, odometer_entries); NULL for kinds this version does not import (tax, expense).';

create or replace function app.import_fields(kind text, fields jsonb, currency text)
returns jsonb
language sql
immutable
parallel safe
return case
    when kind in ('service', 'repair', 'upgrade') then
        jsonb_build_object('status', 'completed',
                           'type', case kind when 'repair' then 'repair' when 'upgrade' then 'upgrade' else 'other' end)
        || fields
        || case when currency is not null and fields ? 'cost' and not fields ? 'currency'
                then jsonb_build_object('currency', currency) else '{}' end
    when kind = 'fuel' then
        fields
        || case when currency is not null and (fields ? 'total_cost' or fields ? 'price_per_unit') and not fields ? 'currency'
                then jsonb_build_object('currency', currency) else '{}' end
    else fields
end;
comment on function app.import_fields(text, jsonb, text) is
    'The columns a staged row is inserted with: its fields, the batch currency where the row has an amount and no currency, and for maintenance kinds status completed and type (repair, upgrade, other) unless given.';

create or replace function app.import_error_field(target text, con text, col text, msg text, fields jsonb)
returns text
language sql
stable
as $$
    select coalesce(
        nullif(col, ''),
        -- a constraint named <table>_<column>_<rule>: the longest column name that fits
        (select c.name
         from (
             select k as name from jsonb_object_keys(fields) as k
             union
             select a.attname::text
             from pg_attribute as a
             where a.attrelid = to_regclass('app.' || target)
               and a.attnum > 0
               and not a.attisdropped
         ) as c
         where con like target || '\_%'
           and (substr(con, char_length(target) + 2) = c.name
                or substr(con, char_length(target) + 2) like replace(c.name, '_', '\_') || '\_%')
         order by char_length(c.name) desc
         limit 1),
        nullif(substring(msg from '^([a-z_]+): '), '')
    )
$$;
comment on function app.import_error_field(text, text, text, text, jsonb) is
    'The field a refused row is refused for: the error''s column, else the column in the constraint name (<table>_<column>_<rule>), else the field its message starts with.';

create or replace function app.import_apply(batch uuid, for_real boolean, skip_errors boolean default false)
returns integer
language plpgsql
as $$
declare
    b app.import_batches;
    v record;
    r record;
    target text;
    row_fields jsonb;
    cols text;
    extra text;
    fp text;
    vid uuid;
    rid uuid;
    dup uuid;
    vehicle_of jsonb := '{}';
    vehicle_error jsonb := '{}';
    created_vehicles jsonb := '{}';
    seen jsonb := '{}';
    st text;
    msg text;
    col text;
    con text;
    field text;
    errors integer := 0;
    first_error text;
    -- what becomes of each staged row (written after the rollback of a preview)
    ids uuid[] := '{}';
    statuses text[] := '{}';
    e_fields text[] := '{}';
    e_rules text[] := '{}';
    e_values text[] := '{}';
    e_messages text[] := '{}';
    dups uuid[] := '{}';
    fps text[] := '{}';
    tables text[] := '{}';
    records uuid[] := '{}';
begin
    select * into b
    from app.import_batches as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = batch
      and x.deleted_at is null
    for update;
    if not found then
        raise sqlstate 'PT404' using
            message = format('batch_id: no import batch %s in the active tenant', batch),
            hint = 'GET /import_batches lists the batches of the tenant named in the token.';
    end if;
    if b.status <> 'parsed' then
        raise sqlstate 'PT409' using
            message = format('status: import batch %s is %s, not parsed%s', batch, b.status, coalesce(': ' || b.error, '')),
            hint = case b.status
                when 'queued' then 'The worker has not parsed it yet (is motovault worker running?); try again in a moment.'
                when 'parsing' then 'The worker is parsing it; try again in a moment.'
                when 'failed' then 'Upload the file again with the options the error asks for (format, date_order, currency).'
                when 'committed' then 'It was committed already; rpc/undo_import moves what it created to the trash.'
                else 'Upload the file again to import it once more.'
            end;
    end if;
    if for_real and b.confirmed_at is null then
        raise sqlstate 'PT409' using
            message = format('confirmed_at: the vehicles of import batch %s are not confirmed', batch),
            hint = 'GET /import_vehicles?batch_id=eq.<id> shows what the file would create or match; POST rpc/confirm_import_vehicles confirms (or overrides) them.';
    end if;

    <<apply>>
    begin
        -- the vehicles: matched ones must still be there, the others are created like any new vehicle
        for v in
            select iv.*
            from app.import_vehicles as iv
            where iv.tenant_id = b.tenant_id
              and iv.batch_id = b.id
            order by iv.key
        loop
            if v.vehicle_id is not null then
                if exists (
                    select
                    from api.vehicles as x
                    where x.id = v.vehicle_id) then
                    vehicle_of := vehicle_of || jsonb_build_object(v.key, v.vehicle_id);
                else
                    vehicle_error := vehicle_error || jsonb_build_object(v.key, jsonb_build_object(
                        'rule', 'vehicle_exists', 'value', v.vehicle_id,
                        'message', format('vehicle_id: vehicle %s is no longer in the tenant', v.vehicle_id)));
                end if;
                continue;
            end if;
            begin
                insert into api.vehicles (display_name, vin, license_plate, make, model, year, odometer_unit)
                values (
                    coalesce(nullif(btrim(v.name), ''), nullif(btrim(v.details ->> 'make' || ' ' || coalesce(v.details ->> 'model', '')), ''), v.key),
                    nullif(btrim(v.vin), ''),
                    nullif(btrim(v.plate), ''),
                    nullif(btrim(v.details ->> 'make'), ''),
                    nullif(btrim(v.details ->> 'model'), ''),
                    case when v.details ->> 'year' ~ '^\d{4}$' then (v.details ->> 'year')::integer end,
                    case when v.details ->> 'odometer_unit' in ('mi', 'km') then v.details ->> 'odometer_unit' else 'km' end)
                returning id into vid;
                vehicle_of := vehicle_of || jsonb_build_object(v.key, vid);
                created_vehicles := created_vehicles || jsonb_build_object(v.key, vid);
            exception when others then
                get stacked diagnostics st = returned_sqlstate, msg = message_text, col = column_name,
                                        con = constraint_name;
                vehicle_error := vehicle_error || jsonb_build_object(v.key, jsonb_build_object(
                    'rule', coalesce(nullif(con, ''), 'sqlstate ' || st),
                    'value', coalesce(v.vin, v.plate, v.name),
                    'message', 'vehicle: ' || msg));
            end;
        end loop;

        for r in
            select x.*
            from app.import_rows as x
            where x.tenant_id = b.tenant_id
              and x.batch_id = b.id
            order by x.line, x.id
        loop
            ids := ids || r.id;
            dup := null;
            fp := null;
            rid := null;
            target := app.import_target(r.kind);
            if r.problems is not null then
                -- what the parser could not read: the row stays an error, never "fixed"
                statuses := statuses || case when for_real then 'skipped' else 'error' end;
                e_fields := e_fields || (r.problems -> 0 ->> 'field');
                e_rules := e_rules || (r.problems -> 0 ->> 'rule');
                e_values := e_values || (r.problems -> 0 ->> 'value');
                e_messages := e_messages || (
                    select string_agg(format('%s: %s (%s)', p ->> 'field', p ->> 'rule', p ->> 'value'), '; ')
                    from jsonb_array_elements(r.problems) as p);
                errors := errors + 1;
                first_error := coalesce(first_error, format('line %s: %s', r.line, e_messages[cardinality(e_messages)]));
            elsif target is null then
                statuses := statuses || 'unsupported'::text;
                e_fields := e_fields || null::text;
                e_rules := e_rules || null::text;
                e_values := e_values || null::text;
                e_messages := e_messages || 'not imported: expenses are not supported by this version'::text;
            elsif vehicle_error ? coalesce(r.vehicle_key, '') or not vehicle_of ? coalesce(r.vehicle_key, '') then
                statuses := statuses || case when for_real then 'skipped' else 'error' end;
                e_fields := e_fields || 'vehicle'::text;
                e_rules := e_rules || coalesce(vehicle_error -> r.vehicle_key ->> 'rule', 'vehicle_known');
                e_values := e_values || coalesce(vehicle_error -> r.vehicle_key ->> 'value', r.vehicle_key);
                e_messages := e_messages || coalesce(vehicle_error -> r.vehicle_key ->> 'message',
                                                     format('vehicle: the file names no vehicle %s', r.vehicle_key));
                errors := errors + 1;
                first_error := coalesce(first_error, format('line %s: %s', r.line, e_messages[cardinality(e_messages)]));
            else
                vid := (vehicle_of ->> r.vehicle_key)::uuid;
                row_fields := app.import_fields(r.kind, r.fields, b.currency);
                fp := md5(concat_ws('|', vid, r.kind, row_fields::text));
                select x.record_id into dup
                from app.import_rows as x
                where x.tenant_id = b.tenant_id
                  and x.fingerprint = fp
                  and x.status = 'created'
                limit 1;
                if dup is not null or seen ? fp then
                    statuses := statuses || 'duplicate'::text;
                    e_fields := e_fields || null::text;
                    e_rules := e_rules || null::text;
                    e_values := e_values || null::text;
                    e_messages := e_messages || case when dup is null then format('duplicate of line %s', seen ->> fp) end;
                    fp := null;
                else
                    seen := seen || jsonb_build_object(fp, r.line);
                    -- the row's columns; keys the table has no column for (Fuelio's tank_number) stay in the staged
                    -- row only, and the row says so
                    select string_agg(quote_ident(k), ', ' order by k) filter (where a.attname is not null),
                           string_agg(k, ', ' order by k) filter (where a.attname is null)
                    into cols, extra
                    from jsonb_object_keys(row_fields) as k
                    left join pg_attribute as a
                        on a.attrelid = to_regclass('api.' || target)
                       and a.attname = k
                       and a.attnum > 0
                       and not a.attisdropped;
                    begin
                        select k into field
                        from jsonb_object_keys(row_fields) as k
                        where k in ('tenant_id', 'id', 'vehicle_id', 'created_at', 'updated_at', 'created_by', 'updated_by')
                        order by k
                        limit 1;
                        if field is not null then
                            raise exception using
                                errcode = 'invalid_parameter_value',
                                column = field,
                                constraint = 'import_field_allowed',
                                message = format('%s: set by the import, not by the file', field);
                        end if;
                        execute format(
                            'insert into api.%I (vehicle_id%s) select $2%s from jsonb_populate_record(null::api.%I, $1) as j returning id',
                            target, coalesce(', ' || cols, ''), coalesce(', j.' || replace(cols, ', ', ', j.'), ''), target)
                        using row_fields, vid
                        into rid;
                        statuses := statuses || case when for_real then 'created' else 'create' end;
                        e_fields := e_fields || null::text;
                        e_rules := e_rules || null::text;
                        e_values := e_values || null::text;
                        e_messages := e_messages || ('not stored (no column for it): ' || extra);
                    exception when others then
                        get stacked diagnostics st = returned_sqlstate, msg = message_text, col = column_name,
                                                con = constraint_name;
                        field := app.import_error_field(target, con, col, msg, row_fields);
                        if field is null and st like '22%' then
                            -- a value of the wrong type: find the field that does not cast
                            select k into field
                            from jsonb_object_keys(row_fields) as k
                            where not app.import_value_fits(target, k, row_fields -> k)
                            order by k
                            limit 1;
                        end if;
                        statuses := statuses || case when for_real then 'skipped' else 'error' end;
                        e_fields := e_fields || field;
                        e_rules := e_rules || coalesce(nullif(con, ''), case when st like '22%' then 'invalid_value' else 'sqlstate ' || st end);
                        e_values := e_values || (row_fields ->> field);
                        e_messages := e_messages || msg;
                        errors := errors + 1;
                        first_error := coalesce(first_error, format('line %s: %s: %s (%s)', r.line, field,
                                                                     e_rules[cardinality(e_rules)], row_fields ->> field));
                        fp := null;
                        rid := null;
                    end;
                end if;
            end if;
            dups := dups || dup;
            fps := fps || fp;
            -- a preview's records were rolled back: only a commit links rows to records
            tables := tables || case when for_real and rid is not null then target end;
            records := records || case when for_real then rid end;
        end loop;

        if not for_real then
            raise sqlstate 'MVI01';  -- a preview: every write above is rolled back
        end if;
        if errors > 0 and not skip_errors then
            raise sqlstate 'PT409' using
                message = format('%s; %s line(s) refused, nothing imported', first_error, errors),
                hint = 'POST rpc/preview_import lists every refused line; fix the file, or commit with skip_errors => true to import the others.';
        end if;
    exception when sqlstate 'MVI01' then
        null;
    end;

    update app.import_rows as x
    set status = u.status,
        error_field = u.field,
        error_rule = u.rule,
        error_value = u.value,
        error_message = u.message,
        duplicate_of = u.dup,
        fingerprint = case when u.status = 'created' then u.fp end,
        record_table = u.tbl,
        record_id = u.rec
    from unnest(ids, statuses, e_fields, e_rules, e_values, e_messages, dups, fps, tables, records)
        as u(id, status, field, rule, value, message, dup, fp, tbl, rec)
    where x.tenant_id = b.tenant_id
      and x.id = u.id
      and (x.status, x.error_field, x.error_rule, x.error_value, x.error_message, x.duplicate_of, x.fingerprint,
           x.record_table, x.record_id)
          is distinct from (u.status, u.field, u.rule, u.value, u.message, u.dup,
                            case when u.status = 'created' then u.fp end, u.tbl, u.rec);

    if for_real then
        update app.import_vehicles as x
        set created_vehicle_id = (created_vehicles ->> x.key)::uuid
        where x.tenant_id = b.tenant_id
          and x.batch_id = b.id
          and created_vehicles ? x.key;
        update app.import_batches as x
        set status = 'committed',
            committed_at = now()
        where x.tenant_id = b.tenant_id
          and x.id = b.id;
        -- the notifications outbox (docs/notifications.md): in this transaction, so it goes with the commit
        perform app.emit_outbox_event(
            b.tenant_id,
            'import.finished',
            jsonb_build_object(
                'batch_id', b.id,
                'status', 'committed',
                'records', (select count(*)
                            from app.import_rows as x
                            where x.tenant_id = b.tenant_id
                              and x.batch_id = b.id
                              and x.status = 'created'),
                'rejected', errors));
    end if;
    return errors;
end
$$;
comment on function app.import_apply(uuid, boolean, boolean) is
    'Applies a parsed import batch as the calling member: vehicles to create, then every staged row through its api view in its own subtransaction (create, duplicate by fingerprint, error with field, rule and value, unsupported kinds). Not for_real: every write is rolled back and only the statuses stay (preview). For real: all or nothing (409 naming the first refused line), or skip_errors; the batch becomes committed. Returns the number of refused lines.';

create or replace function app.import_value_fits(target text, field text, value jsonb)
returns boolean
language plpgsql
stable
as $$
begin
    execute format('select (jsonb_populate_record(null::api.%I, $1)).%I', target, field)
    using jsonb_build_object(field, value);
    return true;
exception when data_exception then
    return false;
end
$$;
comment on function app.import_value_fits(text, text, jsonb) is
    'Whether a JSON value can be read as the column of the api view of target (a date, a number, a boolean): names the field of a row refused for a value of the wrong type.';

create or replace function api.preview_import(batch_id uuid)
returns setof api.import_rows
language plpgsql
as $$
begin
    perform app.import_apply(preview_import.batch_id, false);
    return query
    select *
    from api.import_rows as r
    where r.batch_id = preview_import.batch_id
    order by r.line, r.id;
end
$$;
comment on function api.preview_import(uuid) is
    'Dry run of a parsed import batch: every row goes through the rules a row typed by hand meets, then everything is rolled back. Returns the rows by line with their status: create, duplicate (duplicate_of), error (error_field, error_rule, error_value), unsupported. Nothing is written but these statuses.';

create or replace function api.confirm_import_vehicles(batch_id uuid, choices jsonb default '{}')
returns setof api.import_vehicles
language plpgsql
as $$
declare
    b app.import_batches;
    k text;
    choice text;
begin
    select * into b
    from app.import_batches as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = confirm_import_vehicles.batch_id
      and x.deleted_at is null
    for update;
    if not found then
        raise sqlstate 'PT404' using
            message = format('batch_id: no import batch %s in the active tenant', confirm_import_vehicles.batch_id),
            hint = 'GET /import_batches lists the batches of the tenant named in the token.';
    end if;
    if b.status <> 'parsed' then
        raise sqlstate 'PT409' using
            message = format('status: import batch %s is %s, not parsed', b.id, b.status),
            hint = 'Vehicles are confirmed between parsing and commit.';
    end if;
    if jsonb_typeof(coalesce(choices, '{}')) <> 'object' then
        raise exception using
            errcode = 'invalid_parameter_value',
            column = 'choices',
            message = 'choices: must be an object {"<key>": "<vehicle id>" or "new"}',
            hint = 'Keys are the file''s vehicle keys (GET /import_vehicles).';
    end if;
    for k, choice in select * from jsonb_each_text(coalesce(choices, '{}')) loop
        if not exists (
            select
            from app.import_vehicles as iv
            where iv.tenant_id = b.tenant_id
              and iv.batch_id = b.id
              and iv.key = k) then
            raise exception using
                errcode = 'invalid_parameter_value',
                column = 'choices',
                message = format('choices: the file names no vehicle %s', k),
                hint = 'Keys are the file''s vehicle keys (GET /import_vehicles).';
        end if;
        if choice <> 'new' and (choice !~ '^[0-9a-fA-F-]{36}$' or not exists (
            select
            from api.vehicles as x
            where x.id = choice::uuid)) then
            raise exception using
                errcode = 'invalid_parameter_value',
                column = 'choices',
                message = format('choices: %s is neither "new" nor a vehicle of the active tenant', choice),
                hint = 'GET /vehicles lists the vehicles of the tenant.';
        end if;
        update app.import_vehicles as iv
        set vehicle_id = case when choice = 'new' then null else choice::uuid end,
            matched_by = case when choice = 'new' then null else 'choice' end
        where iv.tenant_id = b.tenant_id
          and iv.batch_id = b.id
          and iv.key = k;
    end loop;
    update app.import_batches as x
    set confirmed_at = now()
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    return query
    select *
    from api.import_vehicles as iv
    where iv.batch_id = b.id
    order by iv.key;
end
$$;
comment on function api.confirm_import_vehicles(uuid, jsonb) is
    'Confirms the vehicles of a parsed import batch, optionally overriding them: choices {"<file key>": "<vehicle id>" | "new"}. Commit needs it. Returns the vehicles with their action (match or create).';

create or replace function api.commit_import(batch_id uuid, skip_errors boolean default false)
returns setof api.import_batches
language plpgsql
as $$
begin
    perform app.import_apply(commit_import.batch_id, true, coalesce(commit_import.skip_errors, false));
    return query select * from api.import_batches as b where b.id = commit_import.batch_id;
end
$$;
comment on function api.commit_import(uuid, boolean) is
    'Imports a parsed, confirmed batch: all or nothing (409 naming the first refused line, nothing written), or with skip_errors => true every line but the refused ones (status skipped). Duplicates of earlier imports are not created again; tax and expense rows are not imported by this version (status unsupported).';

create or replace function api.undo_import(batch_id uuid)
returns setof api.import_batches
language plpgsql
as $$
declare
    b app.import_batches;
    r record;
begin
    select * into b
    from app.import_batches as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = undo_import.batch_id
      and x.deleted_at is null
    for update;
    if not found then
        raise sqlstate 'PT404' using
            message = format('batch_id: no import batch %s in the active tenant', undo_import.batch_id),
            hint = 'GET /import_batches lists the batches of the tenant named in the token.';
    end if;
    if b.status <> 'committed' then
        raise sqlstate 'PT409' using
            message = format('status: import batch %s is %s, not committed', b.id, b.status),
            hint = 'Only a committed import can be undone.';
    end if;
    for r in
        select x.record_table, x.record_id
        from app.import_rows as x
        where x.tenant_id = b.tenant_id
          and x.batch_id = b.id
          and x.status = 'created'
        order by x.line desc, x.id desc
    loop
        execute format('delete from api.%I where id = $1', r.record_table) using r.record_id;
    end loop;
    delete from api.vehicles as v
    where v.id in (
        select iv.created_vehicle_id
        from app.import_vehicles as iv
        where iv.tenant_id = b.tenant_id
          and iv.batch_id = b.id
          and iv.created_vehicle_id is not null);
    update app.import_rows as x
    set status = 'undone',
        fingerprint = null
    where x.tenant_id = b.tenant_id
      and x.batch_id = b.id
      and x.status = 'created';
    update app.import_batches as x
    set status = 'undone',
        undone_at = now()
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    return query select * from api.import_batches as x where x.id = b.id;
end
$$;
comment on function api.undo_import(uuid) is
    'Undoes a committed import in one call: every record it created, then every vehicle it created, goes to the trash (restore_* brings one back); the batch becomes undone, and importing the same records again creates them again.';

grant execute on function app.import_target(text), app.import_fields(text, jsonb, text),
    app.import_error_field(text, text, text, text, jsonb), app.import_apply(uuid, boolean, boolean),
    app.import_value_fits(text, text, jsonb) to app_user;
grant execute on function api.preview_import(uuid), api.confirm_import_vehicles(uuid, jsonb),
    api.commit_import(uuid, boolean), api.undo_import(uuid) to app_user;

commit;
