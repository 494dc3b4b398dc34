-- Deploy motovault:import_apply to pg
-- requires: import_apply@v1.2
-- requires: import_jobs
--
-- Rework after @v1.2: the dry run and the commit run in the worker (change import_jobs), which a file
-- of 20,000 rows needs: an API request has app_user's 5 s statement timeout.
--   preview_import  returns the verdicts of the worker's dry run (409 while it is still running)
--   commit_import   asks the worker for the commit: status committing, 202; the batch becomes committed,
--                   or parsed again with error naming the first refused line (nothing written)
--   confirm_import_vehicles  an override of the vehicles sends the batch back to the dry run
-- Tax and expense rows (LubeLogger tax and supplies, Fuelio costs, aCar and Drivvo expenses) go to
-- expenses (app.import_target, app.import_fields, app.import_expense_category). app.import_apply, the
-- apply in one request, is gone: app.import_apply_rows of import_jobs applies a chunk as the member.

begin;

set local lock_timeout = '5s';

drop function app.import_apply(uuid, boolean, boolean);

create or replace function app.import_target(kind text)
returns text
language sql
immutable
parallel safe
return case
    when kind = 'fuel' then 'fuel_logs'
    when kind in ('service', 'repair', 'upgrade') then 'maintenance'
    when kind = 'odometer' then 'odometer_entries'
    when kind in ('tax', 'expense') then 'expenses'
end;
comment on function app.import_target(text) is
    'The table a staged row of this kind goes to: fuel_logs, maintenance (service, repair, upgrade), odometer_entries, expenses (tax, expense).';

create or replace function app.import_expense_category(name text)
returns text
language sql
immutable
parallel safe
return case
    when name is null then 'other'
    when lower(btrim(name)) in ('insurance', 'registration', 'tax', 'parking', 'tolls', 'fines', 'washing',
                                'accessories', 'loan', 'lease', 'other') then lower(btrim(name))
    when lower(name) ~ 'insur|seguro|versicher|assicura|страх' then 'insurance'
    when lower(name) ~ 'registr|licen[cs]|licenciamento|zulassung|регистрац' then 'registration'
    when lower(name) ~ 'tax|ipva|impuesto|steuer|bollo|налог' then 'tax'
    when lower(name) ~ 'park|estacionamento|estacionamiento|parcheggio|парков' then 'parking'
    when lower(name) ~ 'toll|pedágio|peaje|maut|pedaggio|платн' then 'tolls'
    when lower(name) ~ 'fine|multa|bußgeld|bussgeld|штраф' then 'fines'
    when lower(name) ~ 'wash|lavagem|lavado|wäsche|lavaggio|мойк' then 'washing'
    when lower(name) ~ 'accessor|acessório|accesorio|zubehör|аксессуар' then 'accessories'
    when lower(name) ~ 'loan|financ|kredit|credito|crédito|кредит' then 'loan'
    when lower(name) ~ 'leas' then 'lease'
    else 'other'
end;
comment on function app.import_expense_category(text) is
    'The expenses category of an app''s own expense category name (English, Portuguese, Spanish, German, Italian, Russian words: Insurance, Seguro, Kfz-Steuer, Pedágio, ...); other when none fits (the name is kept in the title or notes).';

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
    when kind in ('tax', 'expense') then
        -- the expenses columns; what the file says beyond them (reminder dates, part numbers) stays in the
        -- staged row, and the verdict names it
        (fields - 'occurred_on' - 'category' - 'description' - 'supplier' - 'repeat_months' - 'is_income')
        || jsonb_strip_nulls(jsonb_build_object(
            'incurred_on', fields -> 'occurred_on',
            'category', app.import_expense_category(coalesce(fields ->> 'category', case when kind = 'tax' then 'tax' end)),
            'title', left(coalesce(nullif(btrim(fields ->> 'description'), ''), nullif(btrim(fields ->> 'category'), '')), 200),
            'vendor', left(nullif(btrim(fields ->> 'supplier'), ''), 200),
            'recur_months', case when (fields ->> 'repeat_months') ~ '^[1-9][0-9]*$' then fields -> 'repeat_months' end,
            'currency', case when not fields ? 'currency' then currency end,
            'notes', case
                when app.import_expense_category(fields ->> 'category') = 'other'
                     and nullif(btrim(fields ->> 'description'), '') is not null
                     and lower(btrim(fields ->> 'category')) <> 'other'
                    then concat_ws(E'\n', 'Category in the file: ' || btrim(fields ->> 'category'), fields ->> 'notes')
                else fields ->> 'notes'
            end))
    else fields
end;
comment on function app.import_fields(text, jsonb, text) is
    'The columns a staged row is inserted with: its fields, the batch currency where the row has an amount and no currency; for maintenance kinds status completed and type (repair, upgrade, other) unless given; for tax and expense rows the expenses columns (incurred_on, category by app.import_expense_category, title, vendor, recur_months from a repeat, notes naming a category that became other).';

create or replace function api.preview_import(batch_id uuid)
returns setof api.import_rows
language plpgsql
stable
as $$
declare
    b app.import_batches;
begin
    select * into b
    from app.import_batches as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = preview_import.batch_id
      and x.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using
            message = format('batch_id: no import batch %s in the active tenant', preview_import.batch_id),
            hint = 'GET /import_batches lists the batches of the tenant named in the token.';
    end if;
    if b.status in ('queued', 'parsing', 'previewing', 'failed') then
        raise sqlstate 'PT409' using
            message = format('status: import batch %s is %s, not parsed%s', b.id, b.status, coalesce(': ' || b.error, '')),
            hint = case b.status
                when 'failed' then 'Upload the file again with the options the error asks for (format, date_order, currency).'
                else 'The worker has not finished its dry run yet (is motovault worker running?); GET /import_batch_progress shows how far it is.'
            end;
    end if;
    return query
    select *
    from api.import_rows as r
    where r.batch_id = preview_import.batch_id
    order by r.line, r.id;
end
$$;
comment on function api.preview_import(uuid) is
    'The dry run of a parsed import batch, which the worker ran after parsing (and again after a confirm that changed the vehicles): every row went through the rules a row typed by hand meets, then everything was rolled back. Returns the rows by line with their status: create, duplicate (duplicate_of), error (error_field, error_rule, error_value), unsupported. 409 while the worker is still at it.';

create or replace function api.confirm_import_vehicles(batch_id uuid, choices jsonb default '{}')
returns setof api.import_vehicles
language plpgsql
as $$
declare
    b app.import_batches;
    k text;
    choice text;
    changed boolean := false;
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
    if not app.current_member_can_write() then
        raise sqlstate '42501' using
            message = 'permission denied: viewers do not confirm imports',
            hint = 'An owner, admin or member of the tenant confirms and commits imports.';
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
          and iv.key = k
          and iv.vehicle_id is distinct from case when choice = 'new' then null else choice::uuid end;
        changed := changed or found;
    end loop;
    -- other vehicles give other verdicts (duplicates, odometer consistency): the worker previews again
    update app.import_batches as x
    set confirmed_at = now(),
        status = case when changed then 'previewing' else x.status end,
        requested_by = case when changed then app.current_user_id() else x.requested_by end,
        rows_done = case when changed then 0 else x.rows_done end
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    if changed then
        perform pg_notify('import_parse', '');
    end if;
    return query
    select *
    from api.import_vehicles as iv
    where iv.batch_id = b.id
    order by iv.key;
end
$$;
comment on function api.confirm_import_vehicles(uuid, jsonb) is
    'Confirms the vehicles of a parsed import batch, optionally overriding them: choices {"<file key>": "<vehicle id>" | "new"}; an override sends the batch back to the worker''s dry run (status previewing). Commit needs it. Returns the vehicles with their action (match or create).';

create or replace function api.commit_import(batch_id uuid, skip_errors boolean default false)
returns setof api.import_batches
language plpgsql
as $$
declare
    b app.import_batches;
begin
    select * into b
    from app.import_batches as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = commit_import.batch_id
      and x.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using
            message = format('batch_id: no import batch %s in the active tenant', commit_import.batch_id),
            hint = 'GET /import_batches lists the batches of the tenant named in the token.';
    end if;
    if not app.current_member_can_write() then
        raise sqlstate '42501' using
            message = 'permission denied: viewers do not commit imports',
            hint = 'An owner, admin or member of the tenant confirms and commits imports.';
    end if;
    if b.status <> 'parsed' then
        raise sqlstate 'PT409' using
            message = format('status: import batch %s is %s, not parsed%s', b.id, b.status, coalesce(': ' || b.error, '')),
            hint = case b.status
                when 'queued' then 'The worker has not parsed it yet (is motovault worker running?); try again in a moment.'
                when 'parsing' then 'The worker is parsing it; try again in a moment.'
                when 'previewing' then 'The worker is running its dry run; try again in a moment.'
                when 'committing' then 'The worker is committing it: GET /import_batch_progress shows how far it is.'
                when 'failed' then 'Upload the file again with the options the error asks for (format, date_order, currency).'
                when 'committed' then 'It was committed already; rpc/undo_import moves what it created to the trash.'
                else 'Upload the file again to import it once more.'
            end;
    end if;
    if b.confirmed_at is null then
        raise sqlstate 'PT409' using
            message = format('confirmed_at: the vehicles of import batch %s are not confirmed', b.id),
            hint = 'GET /import_vehicles?batch_id=eq.<id> shows what the file would create or match; POST rpc/confirm_import_vehicles confirms (or overrides) them.';
    end if;
    update app.import_batches as x
    set status = 'committing',
        skip_errors = coalesce(commit_import.skip_errors, false),
        requested_by = app.current_user_id(),
        rows_done = 0,
        error = null,
        lease_until = null,
        leased_by = null
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    perform pg_notify('import_parse', '');
    perform set_config('response.status', '202', true);
    return query select * from api.import_batches as x where x.id = b.id;
end
$$;
comment on function api.commit_import(uuid, boolean) is
    'Asks the worker to import a parsed, confirmed batch (202, status committing; GET /import_batch_progress shows rows_done of rows_total). The worker applies it in one transaction as the member who asked: all or nothing (the batch becomes committed, or parsed again with error naming the first refused line and nothing written), or with skip_errors => true every line but the refused ones (status skipped). Duplicates of earlier imports are not created again.';

grant execute on function app.import_target(text), app.import_expense_category(text),
    app.import_fields(text, jsonb, text) to app_user;
grant execute on function api.preview_import(uuid), api.confirm_import_vehicles(uuid, jsonb),
    api.commit_import(uuid, boolean), api.undo_import(uuid) to app_user;

commit;
