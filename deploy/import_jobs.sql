-- Deploy motovault:import_jobs to pg
-- requires: import_apply
-- requires: energy_sources
-- requires: expenses
--
-- The apply step of an import (the dry run after parsing, and the commit) runs in the worker, not in an
-- API request (docs/imports.md, "Size"): an API request runs under app_user's 5 s statement timeout,
-- which a file with years of history (5,000-20,000 rows) does not fit in.
--   status previewing   the worker applies the batch as the member who uploaded it and rolls every
--                       write back: only the verdicts stay (after parsing, and after a confirm that
--                       changed the vehicles); then parsed
--   status committing   api.commit_import asked for it; the worker applies it for real in one
--                       transaction as the member who asked: committed, or parsed again with error
--                       naming the first refused line and nothing written
-- rows_total / rows_done show the progress (the CLI's progress bar reads them); a worker renews its lease
-- with each step it reports, so a long commit is not taken over while it runs.
--   app.import_claim_apply(worker, lease)   batches to preview or commit, leased (SKIP LOCKED)
--   app.import_progress(batch, worker, done, lease)   rows done, lease renewed
--   app.import_apply_vehicles(batch)        as the member: the vehicles, matched or created
--   app.import_apply_rows(batch, ...)       as the member: a chunk of rows through the api views
--   app.import_apply_finish(batch, ...)     as the member: verdicts written, batch parsed or committed

begin;

set local lock_timeout = '5s';

alter table app.import_batches
    add column skip_errors boolean not null default false,
    add column requested_by uuid,
    add column rows_total integer,
    add column rows_done integer,
    add column previewed_at timestamptz;
comment on column app.import_batches.skip_errors is 'The commit asked for skips the refused lines (status committing).';
comment on column app.import_batches.requested_by is 'The member the worker acts as when it previews or commits the batch: who uploaded it, then who asked for the commit.';
comment on column app.import_batches.rows_total is 'Staged rows of the batch: what the worker''s preview and commit go through.';
comment on column app.import_batches.rows_done is 'Rows the worker has applied so far in the preview or commit it runs (progress).';
comment on column app.import_batches.previewed_at is 'When the worker last ran the dry run whose verdicts the staged rows show.';

alter table app.import_batches drop constraint import_batches_status_known;
alter table app.import_batches
    add constraint import_batches_status_known
        check (status in ('queued', 'parsing', 'previewing', 'parsed', 'failed', 'committing', 'committed', 'undone'))
        not valid,
    add constraint import_batches_rows_done_range check (rows_done between 0 and rows_total) not valid,
    add constraint import_batches_rows_total_not_negative check (rows_total >= 0) not valid;

alter table app.import_rows drop constraint import_rows_record_table_known;
alter table app.import_rows
    add constraint import_rows_record_table_known
        check (record_table in ('fuel_logs', 'maintenance', 'odometer_entries', 'expenses')) not valid;

-- the worker's apply connection logs in as the owner role and acts as the member (set local role app_user).
-- Not by a direct grant of app_user: the policies written TO app_user (the restrictive managers-only
-- ones among them) would then apply to the owner role too, and hide rows from the SECURITY DEFINER
-- functions it owns (app.notify_dispatch saw no subscription). The owner becomes a member through
-- act_as_member, a NOINHERIT role: SET ROLE app_user works (membership), the policies do not apply
-- (no inherited privileges), as for PostgREST's own NOINHERIT authenticator.
select 'create role act_as_member nologin noinherit'
where not exists (select from pg_roles where rolname = 'act_as_member')
\gexec
comment on role act_as_member is
    'motovault: lets the owner role SET ROLE app_user (the workers acting as a member) without inheriting app_user, so policies TO app_user never apply to the owner';
select 'grant app_user to act_as_member'
where not pg_has_role('act_as_member', 'app_user', 'member')
\gexec
select format('grant act_as_member to %I', current_user)
where not pg_has_role(current_user, 'act_as_member', 'member')
\gexec

-- the progress, for clients (the CLI's progress bar) -----------------------------------------------------

create or replace view api.import_batch_progress
with (security_invoker = true)
as
select b.tenant_id, b.id as batch_id, b.status, b.rows_total, b.rows_done, b.skip_errors, b.previewed_at, b.error,
       b.updated_at
from app.import_batches as b
where b.deleted_at is null;
comment on view api.import_batch_progress is
    'Where the worker is with each import batch of the active tenant: status (previewing: the dry run after parsing; committing: the commit rpc/commit_import asked for), rows_done of rows_total, and error (a commit the rules refused: the first refused line; nothing was written).';
comment on column api.import_batch_progress.batch_id is 'The import batch (import_batches.id).';
comment on column api.import_batch_progress.status is 'queued, parsing, previewing, parsed, failed, committing, committed or undone.';
comment on column api.import_batch_progress.rows_total is 'Staged rows the preview and the commit go through.';
comment on column api.import_batch_progress.rows_done is 'Rows the worker has applied so far in the preview or commit it is running.';
comment on column api.import_batch_progress.skip_errors is 'The commit asked for skips the refused lines.';
comment on column api.import_batch_progress.previewed_at is 'When the worker last ran the dry run whose verdicts import_rows shows.';
comment on column api.import_batch_progress.error is 'Why parsing failed, or why the last commit was refused (nothing written).';
grant select on api.import_batch_progress to app_user;

-- the worker's side (role vin_worker) ---------------------------------------------------------------

create or replace function app.import_claim_apply(worker text, lease_seconds integer)
returns table (
    batch_id uuid,
    tenant_id uuid,
    job text,
    skip_errors boolean,
    requested_by uuid,
    rows_total integer
)
language sql
security definer
set search_path = ''
as $$
    with due as (
        select b.tenant_id, b.id
        from app.import_batches as b
        where b.status in ('previewing', 'committing')
          and (b.lease_until is null or b.lease_until < now())
          and b.deleted_at is null
        order by b.updated_at
        limit 1
        for update skip locked
    ),
    leased as (
        update app.import_batches as b
        set lease_until = now() + make_interval(secs => lease_seconds),
            leased_by = worker,
            rows_done = 0
        from due
        where b.tenant_id = due.tenant_id
          and b.id = due.id
        returning b.*
    )
    select l.id, l.tenant_id, case l.status when 'committing' then 'commit' else 'preview' end, l.skip_errors,
           l.requested_by, l.rows_total
    from leased as l
$$;
comment on function app.import_claim_apply(text, integer) is
    'The worker leases one import batch to preview or commit (status previewing or committing, not leased or its lease expired: its worker died), FOR UPDATE SKIP LOCKED: the batch, the job (preview or commit), skip_errors and the member to act as.';

create or replace function app.import_progress(batch uuid, worker text, done integer, lease_seconds integer)
returns boolean
language sql
security definer
set search_path = ''
as $$
    with step as (
        update app.import_batches as b
        set rows_done = least(done, b.rows_total),
            lease_until = now() + make_interval(secs => lease_seconds)
        where b.id = batch
          and b.status in ('previewing', 'committing')
          and b.leased_by = worker
        returning 1
    )
    select exists (select from step)
$$;
comment on function app.import_progress(uuid, text, integer, integer) is
    'The worker reports the rows it has applied (rows_done) and renews its lease; false when it no longer holds the batch.';

revoke all on function app.import_claim_apply(text, integer), app.import_progress(uuid, text, integer, integer)
    from public;
grant execute on function app.import_claim_apply(text, integer), app.import_progress(uuid, text, integer, integer)
    to vin_worker;

-- the apply, as the member (security invoker: RLS and every rule of the api views apply) --------------

create or replace function app.import_held_batch(batch uuid, worker text)
returns app.import_batches
language plpgsql
stable
as $$
declare
    b app.import_batches;
begin
    select * into b
    from app.import_batches as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = batch
      and x.deleted_at is null;
    if not found or b.status not in ('previewing', 'committing') or b.leased_by is distinct from worker then
        raise sqlstate 'MVI02' using
            message = format('batch_id: import batch %s is no longer held by %s', batch, worker);
    end if;
    return b;
end
$$;
comment on function app.import_held_batch(uuid, text) is
    'The import batch the worker holds (previewing or committing, leased by it) in the active tenant; error MVI02 when it lost it.';

create or replace function app.import_apply_vehicles(batch uuid, worker text)
returns jsonb
language plpgsql
as $$
declare
    b app.import_batches := app.import_held_batch(batch, worker);
    v record;
    vid uuid;
    vehicle_of jsonb := '{}';
    vehicle_error jsonb := '{}';
    created jsonb := '{}';
    st text;
    msg text;
    con text;
begin
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
            created := created || jsonb_build_object(v.key, vid);
        exception when others then
            get stacked diagnostics st = returned_sqlstate, msg = message_text, con = constraint_name;
            vehicle_error := vehicle_error || jsonb_build_object(v.key, jsonb_build_object(
                'rule', coalesce(nullif(con, ''), 'sqlstate ' || st),
                'value', coalesce(v.vin, v.plate, v.name),
                'message', 'vehicle: ' || msg));
        end;
    end loop;
    return jsonb_build_object('of', vehicle_of, 'error', vehicle_error, 'created', created);
end
$$;
comment on function app.import_apply_vehicles(uuid, text) is
    'The first step of applying an import batch, as the member: the matched vehicles must still be there, the others are created through api.vehicles. Returns {of: {key: vehicle id}, error: {key: {rule, value, message}}, created: {key: vehicle id}}.';

create or replace function app.import_energy_source(vehicle uuid, details jsonb, row_fields jsonb)
returns uuid
language plpgsql
as $$
declare
    tank integer := (row_fields ->> 'tank_number')::integer;
    unit text := coalesce(row_fields ->> 'volume_unit', details ->> 'volume_unit', 'l');
    kind text := app.energy_kind(unit);
    declared text := details -> 'fuel_types' ->> (tank - 1);
    fuel text := row_fields ->> 'fuel_type';
    found_id uuid;
    takes text[];
begin
    select s.id, s.fuel_types into found_id, takes
    from api.energy_sources as s
    where s.vehicle_id = vehicle
      and s.tank_number = tank
      and s.energy_kind = kind
    order by s.created_at
    limit 1;
    if found_id is not null then
        if fuel is not null and not fuel = any(takes) then
            -- a fuel the tank the file declares does not take yet: the tank takes it (flex-fuel)
            update api.energy_sources as s
            set fuel_types = s.fuel_types || fuel
            where s.id = found_id;
        end if;
        return found_id;
    end if;
    insert into api.energy_sources (vehicle_id, tank_number, name, energy_kind, fuel_types, unit, capacity)
    values (
        vehicle, tank,
        format('Tank %s%s', tank, coalesce(' (' || coalesce(declared, fuel) || ')', '')),
        kind,
        (select array_agg(distinct t order by t) from unnest(array[declared, fuel]) as t where t is not null)
            || case when declared is null and fuel is null then array['other'] else '{}'::text[] end,
        unit,
        nullif((details -> 'tank_capacities' ->> (tank - 1))::numeric, 0))
    returning id into found_id;
    return found_id;
end
$$;
comment on function app.import_energy_source(uuid, jsonb, jsonb) is
    'The energy source a staged fill-up with a tank_number (Fuelio''s TankNumber) fills: the vehicle''s source with that tank number and energy kind, else a new one named Tank N (its fuel type, unit and capacity from the file''s vehicle: Tank1Type, Tank1Capacity, ...). A fuel the tank does not take yet is added to its fuel types.';

create or replace function app.import_apply_rows_one_by_one(batch uuid, worker text, for_real boolean, vehicles jsonb,
                                                            row_ids uuid[])
returns table (
    row_id uuid,
    row_line integer,
    verdict text,
    e_field text,
    e_rule text,
    e_value text,
    e_message text,
    dup_of uuid,
    fp text,
    rec_table text,
    rec_id uuid
)
language plpgsql
as $$
declare
    b app.import_batches := app.import_held_batch(batch, worker);
    r record;
    target text;
    row_fields jsonb;
    cols text;
    extra text;
    vid uuid;
    st text;
    msg text;
    col text;
    con text;
    field text;
    details jsonb := '{}';
    dup_batch uuid;
    dup_line integer;
begin
    select coalesce(jsonb_object_agg(iv.key, iv.details), '{}') into details
    from app.import_vehicles as iv
    where iv.tenant_id = b.tenant_id
      and iv.batch_id = b.id;
    for r in
        select x.*
        from app.import_rows as x
        where x.tenant_id = b.tenant_id
          and x.batch_id = b.id
          and x.id = any(row_ids)
        order by x.line, x.id
    loop
        row_id := r.id;
        row_line := r.line;
        verdict := null;
        e_field := null;
        e_rule := null;
        e_value := null;
        e_message := null;
        dup_of := null;
        fp := null;
        rec_table := null;
        rec_id := null;
        target := app.import_target(r.kind);
        if r.problems is not null then
            -- what the parser could not read: the row stays an error, never "fixed"
            verdict := case when for_real then 'skipped' else 'error' end;
            e_field := r.problems -> 0 ->> 'field';
            e_rule := r.problems -> 0 ->> 'rule';
            e_value := r.problems -> 0 ->> 'value';
            e_message := (select string_agg(format('%s: %s (%s)', p ->> 'field', p ->> 'rule', p ->> 'value'), '; ')
                          from jsonb_array_elements(r.problems) as p);
        elsif target is null then
            verdict := 'unsupported';
            e_message := format('not imported: motovault has no table for %s rows', r.kind);
        elsif target = 'expenses' and coalesce(r.fields ->> 'is_income', 'false') = 'true' then
            verdict := 'unsupported';
            e_message := 'not imported: an income, not an expense';
        elsif vehicles -> 'error' ? coalesce(r.vehicle_key, '') or not vehicles -> 'of' ? coalesce(r.vehicle_key, '') then
            verdict := case when for_real then 'skipped' else 'error' end;
            e_field := 'vehicle';
            e_rule := coalesce(vehicles -> 'error' -> r.vehicle_key ->> 'rule', 'vehicle_known');
            e_value := coalesce(vehicles -> 'error' -> r.vehicle_key ->> 'value', r.vehicle_key);
            e_message := coalesce(vehicles -> 'error' -> r.vehicle_key ->> 'message',
                                  format('vehicle: the file names no vehicle %s', r.vehicle_key));
        else
            vid := (vehicles -> 'of' ->> r.vehicle_key)::uuid;
            row_fields := app.import_fields(r.kind, r.fields, b.currency);
            fp := md5(concat_ws('|', vid, r.kind, row_fields::text));
            -- created by an earlier import, or by an earlier line of this one (in this transaction)
            select x.record_id, x.batch_id, x.line into dup_of, dup_batch, dup_line
            from app.import_rows as x
            where x.tenant_id = b.tenant_id
              and x.fingerprint = fp
              and x.status = 'created'
            limit 1;
            if dup_of is not null then
                verdict := 'duplicate';
                if dup_batch = b.id then
                    e_message := format('duplicate of line %s', dup_line);
                    dup_of := null;
                end if;
                fp := null;
            else
                begin
                    select k into field
                    from jsonb_object_keys(row_fields) as k
                    where k in ('tenant_id', 'id', 'vehicle_id', 'source_id', 'created_at', 'updated_at', 'created_by',
                                'updated_by')
                    order by k
                    limit 1;
                    if field is not null then
                        raise exception using
                            errcode = 'invalid_parameter_value',
                            column = field,
                            constraint = 'import_field_allowed',
                            message = format('%s: set by the import, not by the file', field);
                    end if;
                    if target = 'fuel_logs' and row_fields ? 'tank_number' then
                        -- Fuelio's TankNumber: the vehicle's energy source with that number (docs/energy.md)
                        row_fields := row_fields - 'tank_number' || jsonb_build_object(
                            'source_id', app.import_energy_source(vid, details -> r.vehicle_key, row_fields));
                    end if;
                    -- the row's columns; keys the view has no column for stay in the staged row only, and the
                    -- verdict says so
                    select string_agg(quote_ident(k), ', ' order by k) filter (where a.attname is not null),
                           string_agg(k, ', ' order by k) filter (where a.attname is null)
                    into cols, extra
                    from jsonb_object_keys(row_fields) as k
                    left join pg_attribute as a
                        on a.attrelid = to_regclass('api.' || target)
                       and a.attname = k
                       and a.attnum > 0
                       and not a.attisdropped;
                    execute format(
                        'insert into api.%I (vehicle_id%s) select $2%s from jsonb_populate_record(null::api.%I, $1) as j returning id',
                        target, coalesce(', ' || cols, ''), coalesce(', j.' || replace(cols, ', ', ', j.'), ''), target)
                    using row_fields, vid
                    into rec_id;
                    -- the staged row says what it created, so that a later line (or chunk) finds it
                    update app.import_rows as x
                    set status = 'created', fingerprint = fp, record_table = target, record_id = rec_id
                    where x.tenant_id = b.tenant_id
                      and x.id = r.id;
                    verdict := case when for_real then 'created' else 'create' end;
                    e_message := 'not stored (no column for it): ' || extra;
                    rec_table := case when for_real then target end;
                    rec_id := case when for_real then rec_id end;
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
                    verdict := case when for_real then 'skipped' else 'error' end;
                    e_field := field;
                    e_rule := coalesce(nullif(con, ''), case when st like '22%' then 'invalid_value' else 'sqlstate ' || st end);
                    e_value := row_fields ->> field;
                    e_message := msg;
                    fp := null;
                    rec_id := null;
                end;
            end if;
        end if;
        return next;
    end loop;
end
$$;
comment on function app.import_apply_rows_one_by_one(uuid, text, boolean, jsonb, uuid[]) is
    'A chunk of an import batch''s staged rows (row_ids), as the member, one by one (app.import_apply_rows falls back to it when a row of the chunk is refused, to name each refused row): each row through its api view in its own subtransaction, so it meets every rule a row typed by hand meets. vehicles: what app.import_apply_vehicles returned. A created row is marked created in import_rows at once (fingerprint, record), so that a later line with the same fingerprint is a duplicate of it; a preview''s marks are rolled back with its records. Returns per row its verdict (create or created, duplicate, error or skipped, unsupported) with field, rule, value and message, the fingerprint and the record.';

create or replace function app.import_apply_rows(batch uuid, worker text, for_real boolean, vehicles jsonb,
                                                 row_ids uuid[])
returns table (
    row_id uuid,
    row_line integer,
    verdict text,
    e_field text,
    e_rule text,
    e_value text,
    e_message text,
    dup_of uuid,
    fp text,
    rec_table text,
    rec_id uuid
)
language plpgsql
as $$
declare
    b app.import_batches := app.import_held_batch(batch, worker);
    seen jsonb := '{}';
    details jsonb;
    r record;
    g record;
    target text;
    row_fields jsonb;
    vid uuid;
    print text;
    dup uuid;
    done jsonb[] := '{}';     -- the verdicts (array_append works in place: no copy per row)
    pending jsonb[] := '{}';  -- the rows to insert
    cols text;
    extra text;
    inserted bigint;
    half integer;
    dup_batch uuid;
    dup_line integer;
begin
    select coalesce(jsonb_object_agg(iv.key, iv.details), '{}') into details
    from app.import_vehicles as iv
    where iv.tenant_id = b.tenant_id
      and iv.batch_id = b.id;
    begin
        for r in
            select x.*
            from app.import_rows as x
            where x.tenant_id = b.tenant_id
              and x.batch_id = b.id
              and x.id = any(row_ids)
            order by x.line, x.id
        loop
            target := app.import_target(r.kind);
            if r.problems is not null or target is null
               or (target = 'expenses' and coalesce(r.fields ->> 'is_income', 'false') = 'true')
               or vehicles -> 'error' ? coalesce(r.vehicle_key, '')
               or not vehicles -> 'of' ? coalesce(r.vehicle_key, '') then
                -- a verdict without a write (the parser's problem, not imported, an unknown vehicle)
                done := done || array(select to_jsonb(x)
                                      from app.import_apply_rows_one_by_one(batch, worker, for_real, vehicles,
                                                                            array[r.id]) as x);
                continue;
            end if;
            vid := (vehicles -> 'of' ->> r.vehicle_key)::uuid;
            row_fields := app.import_fields(r.kind, r.fields, b.currency);
            print := md5(concat_ws('|', vid, r.kind, row_fields::text));
            -- created by an earlier import or an earlier chunk of this one (x.status created), or by an earlier
            -- line of this chunk (seen)
            select x.record_id, x.batch_id, x.line into dup, dup_batch, dup_line
            from app.import_rows as x
            where x.tenant_id = b.tenant_id
              and x.fingerprint = print
              and x.status = 'created'
            limit 1;
            if dup is not null or seen ? print then
                done := array_append(done, jsonb_build_object(
                    'row_id', r.id, 'row_line', r.line, 'verdict', 'duplicate',
                    'dup_of', case when dup_batch is distinct from b.id then dup end,
                    'e_message', case
                        when seen ? print then format('duplicate of line %s', seen ->> print)
                        when dup_batch = b.id then format('duplicate of line %s', dup_line)
                    end));
                continue;
            end if;
            if exists (
                select
                from jsonb_object_keys(row_fields) as k
                where k in ('tenant_id', 'id', 'vehicle_id', 'source_id', 'created_at', 'updated_at', 'created_by',
                            'updated_by')) then
                raise sqlstate 'MVI03';  -- one by one names it
            end if;
            if target = 'fuel_logs' and row_fields ? 'tank_number' then
                row_fields := row_fields - 'tank_number' || jsonb_build_object(
                    'source_id', app.import_energy_source(vid, details -> r.vehicle_key, row_fields));
            end if;
            seen := seen || jsonb_build_object(print, r.line);
            pending := array_append(pending, jsonb_build_object(
                'row_id', r.id, 'row_line', r.line, 'target', target, 'fields', row_fields, 'vid', vid, 'fp', print,
                'new_id', app.uuid_v7(),
                'keys', (select string_agg(k, ',' order by k) from jsonb_object_keys(row_fields) as k)));
        end loop;

        -- one multi-row INSERT per api view and set of columns: the rules run once per statement
        for g in
            select p ->> 'target' as target, p ->> 'keys' as keys,
                   jsonb_agg(p order by (p ->> 'row_line')::integer, p ->> 'row_id') as items
            from unnest(pending) as p
            group by 1, 2
            order by min((p ->> 'row_line')::integer)
        loop
            select string_agg(quote_ident(k), ', ' order by k) filter (where a.attname is not null),
                   string_agg(k, ', ' order by k) filter (where a.attname is null)
            into cols, extra
            from unnest(string_to_array(g.keys, ',')) as k
            left join pg_attribute as a
                on a.attrelid = to_regclass('api.' || g.target)
               and a.attname = k
               and a.attnum > 0
               and not a.attisdropped;
            execute format(
                'insert into api.%I (id, vehicle_id%s) '
                'select (e.p ->> ''new_id'')::uuid, (e.p ->> ''vid'')::uuid%s '
                'from jsonb_array_elements($1) with ordinality as e(p, n) '
                'cross join lateral jsonb_populate_record(null::api.%I, e.p -> ''fields'') as j '
                'order by e.n',
                g.target, coalesce(', ' || cols, ''), coalesce(', j.' || replace(cols, ', ', ', j.'), ''), g.target)
            using g.items;
            get diagnostics inserted = row_count;
            if inserted <> jsonb_array_length(g.items) then
                raise sqlstate 'MVI03';
            end if;
            -- the staged rows say what they created, so that a later chunk finds them (duplicates)
            update app.import_rows as x
            set status = 'created', fingerprint = p ->> 'fp', record_table = g.target, record_id = (p ->> 'new_id')::uuid
            from jsonb_array_elements(g.items) as p
            where x.tenant_id = b.tenant_id
              and x.id = (p ->> 'row_id')::uuid;
            done := done || array(
                select jsonb_build_object(
                    'row_id', p ->> 'row_id', 'row_line', (p ->> 'row_line')::integer,
                    'verdict', case when for_real then 'created' else 'create' end,
                    'e_message', 'not stored (no column for it): ' || extra,
                    'fp', p ->> 'fp',
                    'rec_table', case when for_real then g.target end,
                    'rec_id', case when for_real then p ->> 'new_id' end)
                from jsonb_array_elements(g.items) as p);
        end loop;
        return query
        select x.*
        from jsonb_to_recordset(to_jsonb(done))
            as x(row_id uuid, row_line integer, verdict text, e_field text, e_rule text, e_value text, e_message text,
                 dup_of uuid, fp text, rec_table text, rec_id uuid)
        order by x.row_line, x.row_id;
        return;
    exception when others then
        -- a row of the chunk is refused (or a value does not fit its column): everything of the chunk is rolled
        -- back; each half is tried again the same way, and a few rows go one by one, each in its own
        -- subtransaction, so that each refused row is named (one bad line in 500 costs about three times
        -- the bulk insert of the chunk, not 500 single-row statements)
        null;
    end;
    if cardinality(row_ids) <= 8 then
        return query
        select *
        from app.import_apply_rows_one_by_one(batch, worker, for_real, vehicles, row_ids);
        return;
    end if;
    half := cardinality(row_ids) / 2;
    for r in
        select *
        from app.import_apply_rows(batch, worker, for_real, vehicles, row_ids[1:half])
    loop
        row_id := r.row_id;
        row_line := r.row_line;
        verdict := r.verdict;
        e_field := r.e_field;
        e_rule := r.e_rule;
        e_value := r.e_value;
        e_message := r.e_message;
        dup_of := r.dup_of;
        fp := r.fp;
        rec_table := r.rec_table;
        rec_id := r.rec_id;
        return next;
    end loop;
    return query
    select *
    from app.import_apply_rows(batch, worker, for_real, vehicles, row_ids[half + 1:]);
end
$$;
comment on function app.import_apply_rows(uuid, text, boolean, jsonb, uuid[]) is
    'A chunk of an import batch''s staged rows (row_ids), as the member, through the api views a client writes to, so that every rule a row typed by hand meets applies: one multi-row INSERT per view and set of columns (the rules run per statement); when any row of the chunk is refused, the chunk is rolled back and its halves are applied the same way, down to a few rows applied one by one (app.import_apply_rows_one_by_one), so that each refused row is named. vehicles: what app.import_apply_vehicles returned. A created row is marked created in import_rows at once (fingerprint, record), so that a later line with the same fingerprint is a duplicate of it; a preview''s marks are rolled back with its records. Returns per row its verdict (create or created, duplicate, error or skipped, unsupported) with field, rule, value and message, the fingerprint and the record.';

create or replace function app.import_apply_finish(batch uuid, worker text, outcome text, verdicts jsonb,
                                                   created_vehicles jsonb, refused integer, message text)
returns void
language plpgsql
as $$
declare
    b app.import_batches := app.import_held_batch(batch, worker);
begin
    update app.import_rows as x
    set status = u.verdict,
        error_field = u.e_field,
        error_rule = u.e_rule,
        error_value = u.e_value,
        error_message = u.e_message,
        duplicate_of = u.dup_of,
        fingerprint = case when u.verdict = 'created' then u.fp end,
        record_table = u.rec_table,
        record_id = u.rec_id
    from jsonb_to_recordset(verdicts)
        as u(row_id uuid, verdict text, e_field text, e_rule text, e_value text, e_message text, dup_of uuid, fp text,
             rec_table text, rec_id uuid)
    where x.tenant_id = b.tenant_id
      and x.batch_id = b.id
      and x.id = u.row_id
      and (x.status, x.error_field, x.error_rule, x.error_value, x.error_message, x.duplicate_of, x.fingerprint,
           x.record_table, x.record_id)
          is distinct from (u.verdict, u.e_field, u.e_rule, u.e_value, u.e_message, u.dup_of,
                            case when u.verdict = 'created' then u.fp end, u.rec_table, u.rec_id);

    if outcome = 'committed' then
        update app.import_vehicles as x
        set created_vehicle_id = (created_vehicles ->> x.key)::uuid
        where x.tenant_id = b.tenant_id
          and x.batch_id = b.id
          and created_vehicles ? x.key;
        update app.import_batches as x
        set status = 'committed',
            committed_at = now(),
            error = null,
            rows_done = x.rows_total,
            lease_until = null,
            leased_by = null
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
                'rejected', refused));
    else
        -- previewed, or a commit the rules refused (nothing of it was written): parsed again
        update app.import_batches as x
        set status = 'parsed',
            previewed_at = now(),
            error = case when outcome = 'refused' then left(message, 2000) end,
            rows_done = x.rows_total,
            lease_until = null,
            leased_by = null
        where x.tenant_id = b.tenant_id
          and x.id = b.id;
    end if;
end
$$;
comment on function app.import_apply_finish(uuid, text, text, jsonb, jsonb, integer, text) is
    'The last step of applying an import batch, as the member: the verdicts [{row_id, verdict, e_field, e_rule, e_value, e_message, dup_of, fp, rec_table, rec_id}] go to the staged rows; outcome committed: the batch is committed (created vehicles linked, import.finished in the outbox); previewed or refused: parsed again (refused: error names the first refused line).';

grant execute on function app.import_held_batch(uuid, text), app.import_apply_vehicles(uuid, text),
    app.import_energy_source(uuid, jsonb, jsonb), app.import_apply_rows(uuid, text, boolean, jsonb, uuid[]),
    app.import_apply_rows_one_by_one(uuid, text, boolean, jsonb, uuid[]),
    app.import_apply_finish(uuid, text, text, jsonb, jsonb, integer, text) to app_user;

commit;
