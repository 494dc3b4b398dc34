-- Deploy motovault:import_batches to pg
-- requires: fuel_logs
-- requires: odometer_entries
-- requires: maintenance
-- requires: vin_rules
--
-- Import batches (docs/imports.md): a file uploaded through the API (api.start_import) is stored once per
-- tenant (app.import_files, content-addressed by SHA-256) and queued as a batch; the worker (motovault
-- worker, role vin_worker) claims queued batches (FOR UPDATE SKIP LOCKED, with a lease), parses the file
-- in Python and stages what it found: the vehicles the file names (app.import_vehicles, matched to the
-- tenant's vehicles by VIN, plate or name) and one row per record with its line number
-- (app.import_rows). Nothing here writes the record tables: preview, commit and undo are the
-- import_apply change.
--   app.import_claim(n, worker, lease)      batches to parse, leased; NOTIFY import_parse wakes the worker
--   app.import_stage(batch, worker, ...)    the parsed vehicles and rows; status parsed
--   app.import_fail(batch, worker, error)   status failed, with the parser's one-line error

begin;

set local lock_timeout = '5s';

-- the uploaded files ------------------------------------------------------------------------------

create table app.import_files (
    tenant_id uuid not null default app.current_tenant_id(),
    sha256 text not null,
    content bytea not null,
    byte_size integer generated always as (octet_length(content)) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint import_files_pkey primary key (tenant_id, sha256),
    constraint import_files_sha256_of_content check (sha256 = encode(sha256(content), 'hex')),
    constraint import_files_content_size check (octet_length(content) between 1 and 20000000)
);
comment on table app.import_files is
    'Files uploaded for import, stored once per tenant under the SHA-256 of their bytes (content-addressed); batches point to them. Not exposed: the API shows batches.';
select app.distribute_table('app.import_files', 'tenant');
alter table app.import_files
    add constraint import_files_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
select app.enable_tenant_rules('app.import_files');
-- the bytes are not copied into the audit log: the batch row that names the file (and its SHA-256) is audited
drop trigger _900_audit_insert on app.import_files;
drop trigger _900_audit_update on app.import_files;
drop trigger _900_audit_delete on app.import_files;

-- the batches -------------------------------------------------------------------------------------

create table app.import_batches (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    filename text not null,
    file_sha256 text not null,
    format text not null default 'auto',
    date_order text not null default 'auto',
    currency text,
    mapping jsonb,
    vehicle_id uuid,
    status text not null default 'queued',
    detected_format text,
    error text,
    attempts integer not null default 0,
    lease_until timestamptz,
    leased_by text,
    finished_at timestamptz,
    confirmed_at timestamptz,
    committed_at timestamptz,
    undone_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint import_batches_pkey primary key (tenant_id, id),
    constraint import_batches_filename_length check (char_length(filename) between 1 and 255),
    constraint import_batches_format_shape check (format ~ '^[a-z][a-z0-9_]{0,39}$'),
    constraint import_batches_date_order_known check (date_order in ('auto', 'dmy', 'mdy', 'ymd')),
    constraint import_batches_currency_iso4217 check (currency ~ '^[A-Z]{3}$'),
    constraint import_batches_mapping_object check (mapping is null or jsonb_typeof(mapping) = 'object'),
    constraint import_batches_status_known
        check (status in ('queued', 'parsing', 'parsed', 'failed', 'committed', 'undone')),
    constraint import_batches_attempts_not_negative check (attempts >= 0),
    constraint import_batches_parsing_has_lease
        check (status <> 'parsing' or (lease_until is not null and leased_by is not null)),
    constraint import_batches_failed_has_error check (status <> 'failed' or error is not null),
    constraint import_batches_finished_at_when_parsed
        check ((status in ('queued', 'parsing')) = (finished_at is null)),
    constraint import_batches_committed_at_when_committed
        check ((status in ('committed', 'undone')) = (committed_at is not null)),
    constraint import_batches_undone_at_when_undone check ((status = 'undone') = (undone_at is not null))
);
comment on table app.import_batches is
    'One uploaded file to import: its options, and its state queued -> parsing (leased by a worker) -> parsed or failed -> committed -> undone. finished_at is when parsing ended (the hook for events).';
comment on column app.import_batches.vehicle_id is 'The vehicle chosen at upload: every record of the file goes to it.';
comment on column app.import_batches.confirmed_at is 'When a member confirmed the vehicles (api.confirm_import_vehicles); commit needs it.';
select app.distribute_table('app.import_batches', 'tenant');
alter table app.import_batches
    add constraint import_batches_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint import_batches_file_fk foreign key (tenant_id, file_sha256)
        references app.import_files (tenant_id, sha256),
    add constraint import_batches_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index import_batches_file_fk_idx on app.import_batches (tenant_id, file_sha256);
create index import_batches_vehicle_fk_idx on app.import_batches (tenant_id, vehicle_id) where vehicle_id is not null;
create index import_batches_due_idx on app.import_batches (created_at) where status in ('queued', 'parsing');
select app.enable_tenant_rules('app.import_batches');

-- the vehicles a file names -------------------------------------------------------------------------

create table app.import_vehicles (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    batch_id uuid not null,
    key text not null,
    name text,
    vin text,
    plate text,
    details jsonb not null default '{}',
    vehicle_id uuid,
    matched_by text,
    created_vehicle_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint import_vehicles_pkey primary key (tenant_id, id),
    constraint import_vehicles_key_unique unique (tenant_id, batch_id, key),
    constraint import_vehicles_key_length check (char_length(key) between 1 and 200),
    constraint import_vehicles_matched_by_known check (matched_by in ('vin', 'plate', 'name', 'choice')),
    constraint import_vehicles_matched_by_with_vehicle check ((matched_by is null) = (vehicle_id is null)),
    constraint import_vehicles_details_object check (jsonb_typeof(details) = 'object')
);
comment on table app.import_vehicles is
    'The vehicles an import file names: matched to a vehicle of the tenant (by VIN, plate or name, or chosen by the user), or to be created at commit (vehicle_id null).';
select app.distribute_table('app.import_vehicles', 'tenant');
alter table app.import_vehicles
    add constraint import_vehicles_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint import_vehicles_batch_fk foreign key (tenant_id, batch_id)
        references app.import_batches (tenant_id, id) on delete cascade,
    add constraint import_vehicles_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint import_vehicles_created_vehicle_fk foreign key (tenant_id, created_vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade;
create index import_vehicles_vehicle_fk_idx on app.import_vehicles (tenant_id, vehicle_id) where vehicle_id is not null;
create index import_vehicles_created_vehicle_fk_idx on app.import_vehicles (tenant_id, created_vehicle_id)
    where created_vehicle_id is not null;
select app.enable_tenant_rules('app.import_vehicles');

-- the staged rows ---------------------------------------------------------------------------------

create table app.import_rows (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    batch_id uuid not null,
    line integer not null,
    vehicle_key text,
    kind text,
    fields jsonb not null default '{}',
    problems jsonb,
    status text not null default 'staged',
    error_field text,
    error_rule text,
    error_value text,
    error_message text,
    duplicate_of uuid,
    fingerprint text,
    record_table text,
    record_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint import_rows_pkey primary key (tenant_id, id),
    constraint import_rows_line_not_negative check (line >= 0),
    constraint import_rows_kind_known
        check (kind in ('fuel', 'service', 'repair', 'upgrade', 'odometer', 'tax', 'expense')),
    constraint import_rows_fields_object check (jsonb_typeof(fields) = 'object'),
    constraint import_rows_status_known
        check (status in ('staged', 'create', 'duplicate', 'error', 'unsupported', 'created', 'skipped', 'undone')),
    constraint import_rows_error_has_rule check (status not in ('error', 'skipped') or error_rule is not null),
    constraint import_rows_problems_array check (problems is null or jsonb_typeof(problems) = 'array'),
    constraint import_rows_kind_or_problems check (kind is not null or problems is not null),
    constraint import_rows_record_table_known check (record_table in ('fuel_logs', 'maintenance', 'odometer_entries')),
    constraint import_rows_created_has_record
        check ((status in ('created', 'undone')) = (record_id is not null and record_table is not null))
);
comment on table app.import_rows is
    'One record (or one problem) of an import file with its line number, in motovault column names (fields), and what preview or commit made of it: create, duplicate, error (field, rule, value), unsupported; then created, skipped or undone.';
comment on column app.import_rows.problems is
    'What the parser could not read on the line: [{field, rule, value}]; such a row is an error (line 0: the whole file).';
comment on column app.import_rows.fingerprint is
    'md5 of the target vehicle, kind and fields: a row whose fingerprint a created row of another batch has is a duplicate (re-import creates nothing twice).';
select app.distribute_table('app.import_rows', 'tenant');
alter table app.import_rows
    add constraint import_rows_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint import_rows_batch_fk foreign key (tenant_id, batch_id)
        references app.import_batches (tenant_id, id) on delete cascade;
create index import_rows_batch_line_idx on app.import_rows (tenant_id, batch_id, line);
-- one created record per fingerprint: two batches committing the same record at once cannot both create it
create unique index import_rows_one_created_per_fingerprint on app.import_rows (tenant_id, fingerprint)
    where status = 'created';
select app.enable_tenant_rules('app.import_rows');

-- the api -----------------------------------------------------------------------------------------

create or replace view api.import_batches
with (security_invoker = true)
as
select b.tenant_id, b.id, b.filename, b.file_sha256, b.format, b.detected_format, b.date_order, b.currency,
       b.mapping, b.vehicle_id, b.status, b.error, b.finished_at, b.confirmed_at, b.committed_at, b.undone_at,
       b.created_at, b.updated_at, b.created_by, b.updated_by
from app.import_batches as b
where b.deleted_at is null;
comment on view api.import_batches is
    'Import batches of the active tenant (rpc/start_import uploads one). status: queued, parsing, parsed (rpc/preview_import, rpc/confirm_import_vehicles, rpc/commit_import), failed (error says why), committed (rpc/undo_import), undone. DELETE moves a batch to import_batches_trash.';
comment on column api.import_batches.format is 'The format asked for: auto (detected) or a format name (docs/imports.md).';
comment on column api.import_batches.detected_format is 'The format the parser read the file as.';
comment on column api.import_batches.date_order is 'auto, dmy, mdy or ymd: how ambiguous dates such as 5/8/2020 are read.';
comment on column api.import_batches.currency is 'ISO 4217 currency of the file''s amounts, when the file does not say.';
comment on column api.import_batches.mapping is 'Generic CSV: which column holds which motovault field.';
comment on column api.import_batches.vehicle_id is 'The vehicle chosen at upload: every record of the file goes to it.';
comment on column api.import_batches.error is 'Why parsing failed (status failed), naming the values.';
comment on column api.import_batches.finished_at is 'When parsing ended (status parsed or failed).';
comment on column api.import_batches.confirmed_at is 'When a member confirmed the vehicles; commit needs it.';
select app.create_trash_api('api.import_batches', 'import_batch', 'import batches');
grant select on api.import_batches to app_user;  -- delete: app.create_trash_api; writes: the RPCs

create or replace view api.import_vehicles
with (security_invoker = true)
as
select v.tenant_id, v.id, v.batch_id, v.key, v.name, v.vin, v.plate, v.details, v.vehicle_id, v.matched_by,
       case when v.vehicle_id is null then 'create' else 'match' end as action,
       v.created_vehicle_id, v.created_at, v.updated_at, v.created_by, v.updated_by
from app.import_vehicles as v;
comment on view api.import_vehicles is
    'The vehicles each import file names: action match (vehicle_id, matched by vin, plate, name or the user''s choice) or create (at commit). rpc/confirm_import_vehicles confirms or overrides.';
comment on column api.import_vehicles.key is 'The file''s own name for the vehicle (one file may hold several).';
comment on column api.import_vehicles.created_vehicle_id is 'The vehicle the commit created for it.';
grant select on api.import_vehicles to app_user;

create or replace view api.import_rows
with (security_invoker = true)
as
select r.tenant_id, r.id, r.batch_id, r.line, r.vehicle_key, r.kind, r.fields, r.problems, r.status,
       r.error_field, r.error_rule, r.error_value, r.error_message, r.duplicate_of, r.record_table, r.record_id,
       r.created_at, r.updated_at, r.created_by, r.updated_by
from app.import_rows as r;
comment on view api.import_rows is
    'The staged rows of each import batch, by line: status staged (not previewed yet), create, duplicate (duplicate_of: the record), error (error_field, error_rule, error_value), unsupported (not imported by this version); after commit created (record_table, record_id), skipped or duplicate; undone after undo.';
comment on column api.import_rows.fields is 'The record in motovault column names, as parsed from the line.';
comment on column api.import_rows.problems is 'What the parser could not read on the line: [{field, rule, value}] (line 0: the whole file).';
comment on column api.import_rows.error_rule is 'The rule that refuses the row: a constraint name, or the parser''s rule.';
grant select on api.import_rows to app_user;

-- upload ------------------------------------------------------------------------------------------

create or replace function api.start_import(
    filename text,
    content text,
    format text default 'auto',
    date_order text default 'auto',
    currency text default null,
    mapping jsonb default null,
    vehicle_id uuid default null
)
returns setof api.import_batches
language plpgsql
as $$
declare
    bytes bytea;
    digest text;
    batch uuid;
begin
    begin
        bytes := decode(start_import.content, 'base64');
    exception when invalid_parameter_value or data_exception then
        raise exception using
            errcode = 'invalid_parameter_value',
            column = 'content',
            message = 'content: not base64',
            hint = 'Send the file''s bytes base64-encoded (base64 -w0 FILE), or POST them to rpc/upload_import as application/octet-stream.';
    end;
    if bytes is null or octet_length(bytes) = 0 then
        raise exception using
            errcode = 'check_violation',
            constraint = 'import_files_content_size',
            column = 'content',
            message = 'content: the file is empty',
            hint = 'Upload the file exported by the other app.';
    end if;
    if lower(coalesce(start_import.date_order, 'auto')) not in ('auto', 'dmy', 'mdy', 'ymd') then
        raise exception using
            errcode = 'check_violation',
            constraint = 'import_batches_date_order_known',
            column = 'date_order',
            message = format('date_order: %s is not one of auto, mdy, dmy, ymd', start_import.date_order),
            hint = 'auto reads the order from the file; mdy is 5/30/2020, dmy is 30/5/2020.';
    end if;
    if start_import.currency is not null and upper(btrim(start_import.currency)) !~ '^[A-Z]{3}$' then
        raise exception using
            errcode = 'check_violation',
            constraint = 'import_batches_currency_iso4217',
            column = 'currency',
            message = format('currency: %s is not an ISO 4217 code', start_import.currency),
            hint = 'Three letters, e.g. EUR, USD, GBP.';
    end if;
    digest := encode(sha256(bytes), 'hex');
    insert into app.import_files (sha256, content)
    values (digest, bytes)
    on conflict (tenant_id, sha256) do nothing;
    insert into app.import_batches (filename, file_sha256, format, date_order, currency, mapping, vehicle_id)
    values (
        coalesce(nullif(btrim(start_import.filename), ''), 'upload'), digest,
        lower(coalesce(start_import.format, 'auto')), lower(coalesce(start_import.date_order, 'auto')),
        upper(btrim(start_import.currency)), start_import.mapping, start_import.vehicle_id)
    returning id into batch;
    perform pg_notify('import_parse', '');
    return query select * from api.import_batches as b where b.id = batch;
end
$$;
comment on function api.start_import(text, text, text, text, text, jsonb, uuid) is
    'Uploads a file to a new import batch (status queued; the worker parses it). content: the file''s bytes, base64. format: auto or a format name; date_order: auto, dmy, mdy or ymd; currency: ISO 4217 of the amounts when the file does not say; mapping: the columns of a generic CSV; vehicle_id: put every record in this vehicle.';
grant execute on function api.start_import(text, text, text, text, text, jsonb, uuid) to app_user;

create or replace function api.upload_import(bytea)
returns setof api.import_batches
language plpgsql
as $$
declare
    headers jsonb := coalesce(nullif(current_setting('request.headers', true), ''), '{}')::jsonb;
    vehicle text := nullif(headers ->> 'x-import-vehicle-id', '');
begin
    if vehicle is not null and vehicle !~ '^[0-9a-fA-F-]{36}$' then
        raise exception using
            errcode = 'invalid_text_representation',
            column = 'vehicle_id',
            message = format('vehicle_id: %s is not a uuid', vehicle),
            hint = 'X-Import-Vehicle-Id names a vehicle by its id.';
    end if;
    return query select * from api.start_import(
        filename => coalesce(headers ->> 'x-import-filename', 'upload'),
        content => encode($1, 'base64'),
        format => coalesce(headers ->> 'x-import-format', 'auto'),
        date_order => coalesce(headers ->> 'x-import-date-order', 'auto'),
        currency => headers ->> 'x-import-currency',
        mapping => (headers ->> 'x-import-mapping')::jsonb,
        vehicle_id => vehicle::uuid);
end
$$;
comment on function api.upload_import(bytea) is
    'Uploads a file as the raw request body (Content-Type: application/octet-stream) to a new import batch; the options of rpc/start_import come as headers X-Import-Filename, X-Import-Format, X-Import-Date-Order, X-Import-Currency, X-Import-Mapping (JSON), X-Import-Vehicle-Id.';
grant execute on function api.upload_import(bytea) to app_user;

-- the worker's side -------------------------------------------------------------------------------

create or replace function app.import_claim(n integer, worker text, lease_seconds integer)
returns table (
    batch_id uuid,
    tenant_id uuid,
    filename text,
    format text,
    date_order text,
    currency text,
    mapping jsonb,
    content bytea,
    attempts integer
)
language sql
security definer
set search_path = ''
as $$
    with due as (
        select b.tenant_id, b.id
        from app.import_batches as b
        where (b.status = 'queued' or (b.status = 'parsing' and b.lease_until < now()))
          and b.deleted_at is null
        order by b.created_at
        limit n
        for update skip locked
    ),
    leased as (
        update app.import_batches as b
        set status = 'parsing',
            attempts = b.attempts + 1,
            lease_until = now() + make_interval(secs => lease_seconds),
            leased_by = worker
        from due
        where b.tenant_id = due.tenant_id
          and b.id = due.id
        returning b.*
    )
    select l.id, l.tenant_id, l.filename, l.format, l.date_order, l.currency, l.mapping, f.content, l.attempts
    from leased as l
    join app.import_files as f on f.tenant_id = l.tenant_id and f.sha256 = l.file_sha256
$$;
comment on function app.import_claim(integer, text, integer) is
    'The worker leases up to n import batches to parse (queued, or parsing with an expired lease: its worker died), FOR UPDATE SKIP LOCKED, oldest first, with their files.';

create or replace function app.import_stage(batch uuid, worker text, detected_format text, vehicles jsonb, rows jsonb)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
    b app.import_batches;
begin
    select * into b
    from app.import_batches as x
    where x.id = batch
      and x.status = 'parsing'
      and x.leased_by = worker
    for update;
    if not found then
        return false;  -- the lease expired and another worker took the batch, or it was deleted
    end if;
    delete from app.import_vehicles as v where v.tenant_id = b.tenant_id and v.batch_id = b.id;
    delete from app.import_rows as r where r.tenant_id = b.tenant_id and r.batch_id = b.id;

    insert into app.import_vehicles (tenant_id, batch_id, key, name, vin, plate, details, vehicle_id, matched_by)
    select b.tenant_id, b.id, v.key, v.name, v.vin, v.plate, coalesce(v.details, '{}'),
           coalesce(b.vehicle_id, m.id),
           case when b.vehicle_id is not null then 'choice' else m.matched_by end
    from jsonb_to_recordset(vehicles) as v(key text, name text, vin text, plate text, details jsonb)
    left join lateral (
        -- one live vehicle of the tenant with the same VIN, else plate, else name (never a guess between two)
        select c.id, c.matched_by
        from (
            select 1 as pass, 'vin' as matched_by, array_agg(x.id) as ids
            from app.vehicles as x
            where x.tenant_id = b.tenant_id and x.deleted_at is null
              and x.vin = app.vin_normalize(v.vin)
            union all
            select 2, 'plate', array_agg(x.id)
            from app.vehicles as x
            where x.tenant_id = b.tenant_id and x.deleted_at is null
              and upper(regexp_replace(x.license_plate, '[^A-Za-z0-9]', '', 'g'))
                  = upper(regexp_replace(v.plate, '[^A-Za-z0-9]', '', 'g'))
            union all
            select 3, 'name', array_agg(x.id)
            from app.vehicles as x
            where x.tenant_id = b.tenant_id and x.deleted_at is null
              and lower(btrim(x.display_name)) = lower(btrim(v.name))
        ) as p
        cross join lateral (select p.ids[1] as id, p.matched_by) as c
        where cardinality(p.ids) = 1
        order by p.pass
        limit 1
    ) as m on true;

    insert into app.import_rows (tenant_id, batch_id, line, vehicle_key, kind, fields, problems, status,
                                 error_field, error_rule, error_value)
    select b.tenant_id, b.id, r.line, r.vehicle_key, r.kind, coalesce(r.fields, '{}'), r.problems,
           case when r.problems is null then 'staged' else 'error' end,
           r.problems -> 0 ->> 'field', r.problems -> 0 ->> 'rule', r.problems -> 0 ->> 'value'
    from jsonb_to_recordset(rows) as r(line integer, vehicle_key text, kind text, fields jsonb, problems jsonb);

    update app.import_batches as x
    set status = 'parsed',
        detected_format = import_stage.detected_format,
        error = null,
        finished_at = now(),
        lease_until = null,
        leased_by = null
    where x.tenant_id = b.tenant_id
      and x.id = b.id;
    return true;
end
$$;
comment on function app.import_stage(uuid, text, text, jsonb, jsonb) is
    'The worker stages a parsed file: vehicles [{key, name, vin, plate, details}] (matched by VIN, plate or name to one live vehicle of the tenant, or to the vehicle chosen at upload) and rows [{line, vehicle_key, kind, fields, problems: [{field, rule, value}] or null}] (kind null: a line with problems only); the batch becomes parsed. False when the worker no longer holds the lease.';

create or replace function app.import_fail(batch uuid, worker text, error text)
returns boolean
language sql
security definer
set search_path = ''
as $$
    with failed as (
        update app.import_batches as x
        set status = 'failed',
            error = left(import_fail.error, 2000),
            finished_at = now(),
            lease_until = null,
            leased_by = null
        where x.id = batch
          and x.status = 'parsing'
          and x.leased_by = worker
        returning 1
    )
    select exists (select from failed)
$$;
comment on function app.import_fail(uuid, text, text) is
    'The worker marks a batch failed with the parser''s one-line error (wrong format, ambiguous dates naming the values). False when the worker no longer holds the lease.';

revoke all on function app.import_claim(integer, text, integer), app.import_stage(uuid, text, text, jsonb, jsonb),
    app.import_fail(uuid, text, text) from public;
grant execute on function app.import_claim(integer, text, integer), app.import_stage(uuid, text, text, jsonb, jsonb),
    app.import_fail(uuid, text, text) to vin_worker;

commit;
