-- Deploy motovault:tenant_imports to pg
-- requires: tenant_export
-- requires: import_jobs
--
-- A tenant import (api.import_tenant, docs/exports.md) runs in the worker, as import batches do
-- (import_jobs): an API request has 5 s (app_user's statement_timeout), which a tenant with years of
-- history does not fit in. The request checks the document and records a job (202); the worker
-- (motovault worker, its imports thread) applies it in ONE transaction as the owner who asked, table by
-- table in chunks of rows, reporting rows_done; the client polls api.tenant_imports.
--   status queued      api.import_tenant recorded it (its document in app.tenant_import_documents)
--   status importing   a worker holds it (lease); a worker that dies leaves nothing: the lease expires
--                      and the next one starts again
--   status imported    everything is in; result: rows per table, members added or skipped, ids
--   status failed      nothing is written; error names the table, the row (its index in the document),
--                      the field and the rule that refused it
-- The worker's side (role vin_worker, SECURITY DEFINER): app.tenant_import_claim, app.tenant_import_progress,
-- app.tenant_import_fail. As the owner (security invoker: RLS and every rule of the tables apply):
-- app.tenant_import_begin (the chunks), app.tenant_import_rows (one chunk), app.tenant_import_finish.

begin;

set local lock_timeout = '5s';

create table app.tenant_imports (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    status text not null default 'queued',
    rows_total integer not null default 0,
    rows_done integer not null default 0,
    attempts integer not null default 0,
    lease_until timestamptz,
    leased_by text,
    requested_by uuid,
    error text,
    error_table text,
    error_row integer,
    error_field text,
    error_rule text,
    result jsonb,
    finished_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint tenant_imports_pkey primary key (tenant_id, id),
    constraint tenant_imports_status_known check (status in ('queued', 'importing', 'imported', 'failed')),
    constraint tenant_imports_rows_total_not_negative check (rows_total >= 0),
    constraint tenant_imports_rows_done_range check (rows_done between 0 and rows_total),
    constraint tenant_imports_attempts_not_negative check (attempts >= 0),
    constraint tenant_imports_error_length check (char_length(error) <= 2000),
    constraint tenant_imports_error_when_failed check ((status = 'failed') = (error is not null)),
    constraint tenant_imports_result_when_imported check ((status = 'imported') = (result is not null))
);
comment on table app.tenant_imports is
    'Tenant imports (api.import_tenant) the worker applies: status queued, importing, imported or failed, progress (rows_done of rows_total), lease, and the result or the error naming the table, row, field and rule.';
comment on column app.tenant_imports.rows_total is 'Rows of the document''s tables: what the worker goes through.';
comment on column app.tenant_imports.rows_done is 'Rows the worker has written so far (progress; all of them are rolled back if a later row is refused).';
comment on column app.tenant_imports.attempts is 'Times a worker took the import (a worker that died is followed by the next one).';
comment on column app.tenant_imports.requested_by is 'The owner who asked for the import: the worker acts as them.';
comment on column app.tenant_imports.error_row is 'The refused row: its index (from 0) in tables.<error_table> of the document.';
comment on column app.tenant_imports.result is 'What the import made: rows per table, members_added, members_skipped, ids (old id -> new id).';
select app.distribute_table('app.tenant_imports', 'tenant');
alter table app.tenant_imports
    add constraint tenant_imports_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create unique index tenant_imports_one_active on app.tenant_imports (tenant_id)
    where status in ('queued', 'importing');
comment on index app.tenant_imports_one_active is 'One tenant import at a time per tenant.';
create index tenant_imports_due on app.tenant_imports (lease_until nulls first, created_at)
    where status in ('queued', 'importing');
select app.enable_tenant_rules('app.tenant_imports');

create table app.tenant_import_documents (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null,
    doc jsonb,
    ids jsonb,
    orders jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint tenant_import_documents_pkey primary key (tenant_id, id)
);
comment on table app.tenant_import_documents is
    'The document of a tenant import while it waits and runs, the new id of each of its ids, and each table''s rows in insert order; emptied when the import ends. Not audited (the import''s job row is): copying whole tenants into audit.record_version would double them.';
comment on column app.tenant_import_documents.id is 'The tenant import (app.tenant_imports.id) whose document this is.';
comment on column app.tenant_import_documents.doc is 'The motovault.tenant document as api.import_tenant received it; null once the import ended.';
comment on column app.tenant_import_documents.ids is 'old id -> new id for every id of the document (app.tenant_import_begin).';
comment on column app.tenant_import_documents.orders is 'Per table, the indexes of its rows in the order they are inserted (app.tenant_export_rules insert_order).';
select app.distribute_table('app.tenant_import_documents', 'tenant');
alter table app.tenant_import_documents
    add constraint tenant_import_documents_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint tenant_import_documents_import_fk foreign key (tenant_id, id)
        references app.tenant_imports (tenant_id, id) on delete cascade;
select app.enable_tenant_rules('app.tenant_import_documents');
drop trigger _900_audit_insert on app.tenant_import_documents;
drop trigger _900_audit_update on app.tenant_import_documents;
drop trigger _900_audit_delete on app.tenant_import_documents;

-- what clients poll --------------------------------------------------------------------------------

create or replace view api.tenant_imports
with (security_invoker = true)
as
select i.tenant_id, i.id, i.status, i.rows_total, i.rows_done, i.attempts, i.error, i.error_table, i.error_row,
       i.error_field, i.error_rule, i.result, i.requested_by, i.finished_at, i.created_at, i.updated_at
from app.tenant_imports as i;
comment on view api.tenant_imports is
    'Tenant imports of the active tenant (POST /rpc/import_tenant records one, 202): status queued, importing (rows_done of rows_total), imported (result) or failed (error naming the table, row, field and rule; nothing written). docs/exports.md.';
comment on column api.tenant_imports.id is 'The import (import_id of POST /rpc/import_tenant).';
comment on column api.tenant_imports.status is 'queued, importing, imported or failed.';
comment on column api.tenant_imports.rows_total is 'Rows of the document''s tables.';
comment on column api.tenant_imports.rows_done is 'Rows written so far by the worker (all rolled back if a later one is refused).';
comment on column api.tenant_imports.attempts is 'Times a worker took the import.';
comment on column api.tenant_imports.error is 'Why the import failed (nothing of it was written).';
comment on column api.tenant_imports.error_table is 'The table of the refused row.';
comment on column api.tenant_imports.error_row is 'The refused row: its index (from 0) in tables.<error_table> of the document.';
comment on column api.tenant_imports.error_field is 'The field of the refused row, when the rule names one.';
comment on column api.tenant_imports.error_rule is 'The rule (constraint) that refused it, or the SQLSTATE.';
comment on column api.tenant_imports.result is 'rows per table, members_added, members_skipped and ids (old id -> new id).';
comment on column api.tenant_imports.requested_by is 'The owner who asked for the import.';
comment on column api.tenant_imports.finished_at is 'When the import was imported or failed.';
grant select on api.tenant_imports to app_user;

-- the worker's side (role vin_worker) ---------------------------------------------------------------

create or replace function app.tenant_import_claim(worker text, lease_seconds integer)
returns table (
    import_id uuid,
    tenant_id uuid,
    requested_by uuid,
    rows_total integer,
    attempts integer
)
language sql
security definer
set search_path = ''
as $$
    with due as (
        select i.tenant_id, i.id
        from app.tenant_imports as i
        where i.status in ('queued', 'importing')
          and (i.lease_until is null or i.lease_until < now())
        order by i.created_at
        limit 1
        for update skip locked
    ),
    leased as (
        update app.tenant_imports as i
        set status = 'importing',
            lease_until = now() + make_interval(secs => lease_seconds),
            leased_by = worker,
            rows_done = 0,
            attempts = i.attempts + 1
        from due
        where i.tenant_id = due.tenant_id
          and i.id = due.id
        returning i.*
    )
    select l.id, l.tenant_id, l.requested_by, l.rows_total, l.attempts
    from leased as l
$$;
comment on function app.tenant_import_claim(text, integer) is
    'The worker leases one tenant import (queued, or importing with an expired lease: its worker died), FOR UPDATE SKIP LOCKED: the import, its tenant, the owner to act as, its rows and how many times it was taken.';

create or replace function app.tenant_import_progress(import_id uuid, worker text, done integer, lease_seconds integer)
returns boolean
language sql
security definer
set search_path = ''
as $$
    with step as (
        update app.tenant_imports as i
        set rows_done = least(done, i.rows_total),
            lease_until = now() + make_interval(secs => lease_seconds)
        where i.id = import_id
          and i.status = 'importing'
          and i.leased_by = worker
        returning 1
    )
    select exists (select from step)
$$;
comment on function app.tenant_import_progress(uuid, text, integer, integer) is
    'The worker reports the rows it has written (rows_done) and renews its lease; false when it no longer holds the import.';

create or replace function app.tenant_import_fail(import_id uuid, worker text, problem jsonb)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
    failed app.tenant_imports;
begin
    update app.tenant_imports as i
    set status = 'failed',
        error = left(coalesce(nullif(problem ->> 'message', ''), 'the import failed'), 2000),
        error_table = problem ->> 'table',
        error_row = (problem ->> 'row')::integer,
        error_field = problem ->> 'field',
        error_rule = problem ->> 'rule',
        rows_done = 0,
        finished_at = now(),
        lease_until = null,
        leased_by = null
    where i.id = import_id
      and i.status = 'importing'
      and i.leased_by = worker
    returning i.* into failed;
    if not found then
        return false;
    end if;
    update app.tenant_import_documents as d
    set doc = null, ids = null, orders = null
    where d.tenant_id = failed.tenant_id
      and d.id = failed.id;
    return true;
end
$$;
comment on function app.tenant_import_fail(uuid, text, jsonb) is
    'The worker records why a tenant import it holds failed (problem: {message, table, row, field, rule}); nothing of it was written (its transaction was rolled back). The document is dropped. False when it no longer holds the import.';

revoke all on function app.tenant_import_claim(text, integer), app.tenant_import_progress(uuid, text, integer, integer),
    app.tenant_import_fail(uuid, text, jsonb) from public;
grant execute on function app.tenant_import_claim(text, integer),
    app.tenant_import_progress(uuid, text, integer, integer), app.tenant_import_fail(uuid, text, jsonb) to vin_worker;

-- the import, as the owner who asked (security invoker) --------------------------------------------------

create or replace function app.tenant_import_held(import_id uuid, worker text)
returns app.tenant_imports
language plpgsql
stable
as $$
declare
    i app.tenant_imports;
begin
    select * into i
    from app.tenant_imports as x
    where x.tenant_id = app.current_tenant_id()
      and x.id = import_id;
    if not found or i.status <> 'importing' or i.leased_by is distinct from worker then
        raise sqlstate 'MVI02' using
            message = format('import_id: tenant import %s is no longer held by %s', import_id, worker);
    end if;
    return i;
end
$$;
comment on function app.tenant_import_held(uuid, text) is
    'The tenant import the worker holds (importing, leased by it) in the active tenant; error MVI02 when it lost it.';

create or replace function app.tenant_import_remap(r jsonb, import_columns text[], uuid_columns text[], ids jsonb)
returns jsonb
language sql
immutable
as $$
    select coalesce(jsonb_object_agg(
               e.key,
               case
                   when e.key = any (uuid_columns) and ids ? (e.value #>> '{}')
                   then ids -> (e.value #>> '{}')
                   when jsonb_typeof(e.value) = 'object'  -- a payload naming a row (image_id, ...)
                   then (select coalesce(jsonb_object_agg(
                                    p.key,
                                    case when jsonb_typeof(p.value) = 'string' and ids ? (p.value #>> '{}')
                                         then ids -> (p.value #>> '{}') else p.value end), '{}')
                         from jsonb_each(e.value) as p)
                   else e.value
               end), '{}')
    from jsonb_each(r) as e
    where e.key = any (import_columns)
$$;
comment on function app.tenant_import_remap(jsonb, text[], text[], jsonb) is
    'A row of a tenant document as it is imported: only the imported columns, every uuid column (and every string of a payload object) that names an id of the document replaced by its new id.';

create or replace function app.tenant_import_begin(import_id uuid, worker text, chunk_rows integer)
returns table (
    step integer,
    table_name text,
    first_row integer,
    row_count integer
)
language plpgsql
as $$
declare
    i app.tenant_imports := app.tenant_import_held(import_id, worker);
    doc jsonb;
    t record;
    rows jsonb;
    new_ids jsonb := '{}';
    new_orders jsonb := '{}';
    ord jsonb;
    has_rows boolean;
    n integer;
    k integer := 0;
    whole boolean;
begin
    perform app.require_tenant_owner('import data into it');
    select d.doc into doc
    from app.tenant_import_documents as d
    where d.tenant_id = i.tenant_id
      and d.id = i.id;
    if doc is null then
        raise sqlstate 'MVI02' using message = format('import_id: tenant import %s has no document', i.id);
    end if;
    for t in select * from app.tenant_export_tables() as e order by e.step loop
        -- still empty: nothing was written into the tenant since the import was asked for
        execute format('select exists (select from app.%I as t where t.tenant_id = app.current_tenant_id())',
                       t.table_name)
        into has_rows;
        if has_rows then
            raise sqlstate 'PT409' using
                column = 'tenant',
                message = format('tenant: not empty (%s has rows); a tenant is imported into a new, empty tenant',
                                 t.table_name),
                hint = 'Create a tenant (POST /rpc/create_tenant) and import into it.';
        end if;
        rows := coalesce(doc -> 'tables' -> t.table_name, '[]');
        n := jsonb_array_length(rows);
        continue when n = 0;
        -- every id gets a new one
        select new_ids || coalesce(jsonb_object_agg(v.old_id, app.uuid_v7()), '{}') into new_ids
        from (
            select distinct r ->> c as old_id
            from jsonb_array_elements(rows) as r, unnest(t.id_columns) as c
            where r ->> c is not null
        ) as v;
        -- the insert order over the whole table (a row whose values do not fit its columns keeps its place:
        -- its chunk names it)
        ord := null;
        if t.insert_order is not null then
            begin
                execute format(
                    'select jsonb_agg(r.ordinality - 1 order by %s, r.ordinality) '
                    'from jsonb_populate_recordset(null::app.%I, $1) with ordinality as r',
                    t.insert_order, t.table_name)
                using rows
                into ord;
            exception when data_exception then
                ord := null;
            end;
        end if;
        if ord is not null then
            new_orders := new_orders || jsonb_build_object(t.table_name, ord);
        end if;
        -- a table whose rows may name each other (a foreign key to itself) goes in one statement
        whole := exists (
            select
            from pg_constraint as c
            where c.conrelid = format('app.%I', t.table_name)::regclass
              and c.contype = 'f'
              and c.confrelid = c.conrelid);
        for first_row in select g from generate_series(0, n - 1, case when whole then n else chunk_rows end) as g loop
            k := k + 1;
            step := k;
            table_name := t.table_name;
            row_count := least(case when whole then n else chunk_rows end, n - first_row);
            return next;
        end loop;
    end loop;
    update app.tenant_import_documents as d
    set ids = new_ids, orders = new_orders
    where d.tenant_id = i.tenant_id
      and d.id = i.id;
    -- triggers that must not act on imported history (say, notifications) can tell an import
    perform set_config('motovault.importing', 'on', true);
end
$$;
comment on function app.tenant_import_begin(uuid, text, integer) is
    'The first step of a tenant import the worker holds, as the owner who asked, in the transaction of the whole import: the tenant must still be empty (409); every id of the document gets a new one; each table''s rows are put in insert order. Returns the chunks to write, in order: table, first row, rows (chunk_rows each; a table with a foreign key to itself in one).';

create or replace function app.tenant_import_field(table_name text, r jsonb)
returns text
language plpgsql
stable
as $$
declare
    k text;
begin
    for k in select x from jsonb_object_keys(r) as x order by x loop
        begin
            execute format('select (jsonb_populate_record(null::app.%I, $1)).%I', table_name, k)
            using jsonb_build_object(k, r -> k);
        exception when data_exception then
            return k;
        end;
    end loop;
    return null;
end
$$;
comment on function app.tenant_import_field(text, jsonb) is
    'The first field of a row whose value cannot be read as its column of app.<table_name> (a date, a number): names the field of a row refused for a value of the wrong type.';

create or replace function app.tenant_import_rows(import_id uuid, worker text, table_name text, first_row integer,
                                                  row_count integer)
returns jsonb
language plpgsql
as $$
declare
    i app.tenant_imports := app.tenant_import_held(import_id, worker);
    t record;
    src record;
    chunk jsonb;
    positions integer[];
    insert_sql text;
    inserted bigint;
    st text;
    msg text;
    det text;
    col text;
    con text;
    chunk_error jsonb;
    k integer;
begin
    select * into t from app.tenant_export_tables() as e where e.table_name = tenant_import_rows.table_name;
    select d.doc #> array['tables', t.table_name] as rows, d.ids, d.orders -> t.table_name as ord into src
    from app.tenant_import_documents as d
    where d.tenant_id = i.tenant_id
      and d.id = i.id;
    positions := array(
        select coalesce((src.ord ->> g)::integer, g)
        from generate_series(first_row, first_row + row_count - 1) as g
        order by g);
    select jsonb_agg(app.tenant_import_remap(src.rows -> p.pos, t.import_columns, t.uuid_columns, src.ids)
                     order by p.n)
    into chunk
    from unnest(positions) with ordinality as p(pos, n);
    insert_sql := format(
        'insert into app.%I (tenant_id, %s) select app.current_tenant_id(), %s '
        'from jsonb_populate_recordset(null::app.%I, $1) with ordinality as r order by r.ordinality',
        t.table_name,
        (select string_agg(format('%I', c), ', ') from unnest(t.import_columns) as c),
        (select string_agg(format('r.%I', c), ', ') from unnest(t.import_columns) as c),
        t.table_name);
    -- the chunk in one statement: the rules run once for it
    begin
        execute insert_sql using chunk;
        get diagnostics inserted = row_count;
        return jsonb_build_object('inserted', inserted);
    exception when others then
        get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail,
                                col = column_name, con = constraint_name;
        chunk_error := jsonb_build_object('table', t.table_name, 'row', positions[1], 'field', nullif(col, ''),
                                          'rule', coalesce(nullif(con, ''), 'sqlstate ' || st), 'sqlstate', st,
                                          'message', msg, 'detail', nullif(det, ''));
    end;
    -- refused (everything of the chunk is rolled back): its rows one by one, in order, to name the first
    -- refused row; the worker then rolls the whole import back
    for k in 1 .. cardinality(positions) loop
        begin
            execute insert_sql using jsonb_build_array(chunk -> (k - 1));
        exception when others then
            get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail,
                                    col = column_name, con = constraint_name;
            if coalesce(col, '') = '' and coalesce(con, '') <> '' then
                select a.attname into col
                from pg_constraint as c
                join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = c.conkey[array_upper(c.conkey, 1)]
                where c.conrelid = format('app.%I', t.table_name)::regclass
                  and c.conname = con
                  and cardinality(c.conkey) = 1;
            end if;
            if coalesce(col, '') = '' and st like '22%' then
                col := app.tenant_import_field(t.table_name, src.rows -> positions[k]);
            end if;
            return jsonb_build_object(
                'table', t.table_name, 'row', positions[k], 'field', nullif(col, ''),
                'rule', coalesce(nullif(con, ''), 'sqlstate ' || st), 'sqlstate', st,
                'message', format('tables.%s[%s]: %s', t.table_name, positions[k], msg),
                'detail', nullif(det, ''));
        end;
    end loop;
    -- every row goes in alone: the chunk was refused as a whole (a rule over its rows)
    return chunk_error || jsonb_build_object(
        'message', format('tables.%s[%s..%s]: %s', t.table_name, first_row, first_row + row_count - 1,
                          chunk_error ->> 'message'));
end
$$;
comment on function app.tenant_import_rows(uuid, text, text, integer, integer) is
    'One chunk of a tenant import, as the owner who asked: rows first_row .. first_row + row_count - 1 of the table (in insert order), their ids remapped, in one multi-row INSERT into app.<table_name>, so that RLS, the CHECKs and every trigger judge each row like any write. Returns {inserted}; or, when a row is refused, the chunk is rolled back, its rows are tried one by one to name the first refused one, and it returns {table, row (index in the document), field, rule, sqlstate, message, detail}: the worker rolls the whole import back.';

create or replace function app.tenant_import_finish(import_id uuid, worker text)
returns jsonb
language plpgsql
as $$
declare
    i app.tenant_imports := app.tenant_import_held(import_id, worker);
    doc jsonb;
    ids jsonb;
    counts jsonb := '{}';
    member jsonb;
    members_added integer := 0;
    members_skipped jsonb := '[]';
    outcome jsonb;
begin
    select d.doc, d.ids into doc, ids
    from app.tenant_import_documents as d
    where d.tenant_id = i.tenant_id
      and d.id = i.id;
    select coalesce(jsonb_object_agg(e.table_name, jsonb_array_length(doc -> 'tables' -> e.table_name)
                                     order by e.step), '{}')
    into counts
    from app.tenant_export_tables() as e
    where jsonb_array_length(coalesce(doc -> 'tables' -> e.table_name, '[]')) > 0;

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

    outcome := jsonb_build_object(
        'rows', counts,
        'members_added', members_added,
        'members_skipped', members_skipped,
        'ids', coalesce(ids, '{}'));
    update app.tenant_imports as x
    set status = 'imported',
        result = outcome,
        rows_done = x.rows_total,
        finished_at = now(),
        lease_until = null,
        leased_by = null
    where x.tenant_id = i.tenant_id
      and x.id = i.id;
    update app.tenant_import_documents as d
    set doc = null, ids = null, orders = null
    where d.tenant_id = i.tenant_id
      and d.id = i.id;
    perform set_config('motovault.importing', '', true);
    return outcome;
end
$$;
comment on function app.tenant_import_finish(uuid, text) is
    'The last step of a tenant import, as the owner who asked, in the transaction of the whole import: the members are added through add_member (those that cannot be are listed), the import becomes imported with its result (rows per table, members_added, members_skipped, ids) and its document is dropped.';

grant execute on function app.tenant_import_held(uuid, text),
    app.tenant_import_remap(jsonb, text[], text[], jsonb), app.tenant_import_begin(uuid, text, integer),
    app.tenant_import_field(text, jsonb), app.tenant_import_rows(uuid, text, text, integer, integer),
    app.tenant_import_finish(uuid, text) to app_user;

commit;
