-- Deploy motovault:documents to pg
-- requires: vehicles
-- requires: fuel_logs
-- requires: maintenance
-- requires: reminders
-- requires: table_rules
--
-- Documents (receipts, invoices, insurance cards, manuals) attached to a vehicle or to one of its
-- records. The bytes live in app.document_files, content-addressed by SHA-256 within a tenant (the same
-- file uploaded twice is stored once); app.documents holds the small record rows that point at them.
--
-- Upload: POST /rpc/upload_document with Content-Type: application/octet-stream (PostgREST passes the
-- raw body to the single unnamed bytea parameter); what the document is attached to comes in headers
-- X-Document-<column> (X-Document-Vehicle-Id, X-Document-Fuel-Log-Id, X-Document-Kind, ...). The file's
-- type is detected from its first bytes (never from the client's claim) against an allowlist, and a
-- truncated file is refused. Download: GET /rpc/document_content?id=... answers the bytes with their
-- Content-Type and a Content-Disposition (the "*/*" media type handler, response.headers).
--
-- Attaching to another record type is one nullable column with its foreign key and the widened
-- documents_one_record check (docs/documents.md): app.tg_documents_prepare finds the record's vehicle
-- through the foreign keys of app.documents, whatever they are.

begin;

set local lock_timeout = '5s';

-- -------------------------------------------------------------------------------------------------
-- limits and detection

create or replace function app.document_max_bytes()
returns integer
language sql
stable
as $$
    select coalesce(nullif(current_setting('motovault.document_max_bytes', true), '')::integer, 10485760)
$$;
comment on function app.document_max_bytes() is
    'The largest document accepted, in bytes: the setting motovault.document_max_bytes (ALTER DATABASE ... SET), 10 MiB when unset.';

create or replace function app.document_content_type(content bytea)
returns text
language plpgsql
immutable
strict
as $$
-- the media type of the bytes, from their signature; null when it is not on the allowlist
declare
    n constant integer := octet_length(content);
begin
    if n >= 5 and substr(content, 1, 5) = '\x255044462d'::bytea then           -- %PDF-
        return 'application/pdf';
    elsif n >= 8 and substr(content, 1, 8) = '\x89504e470d0a1a0a'::bytea then  -- PNG signature
        return 'image/png';
    elsif n >= 3 and substr(content, 1, 3) = '\xffd8ff'::bytea then            -- JPEG SOI + marker
        return 'image/jpeg';
    elsif n >= 12 and substr(content, 1, 4) = '\x52494646'::bytea                -- RIFF....WEBP
          and substr(content, 9, 4) = '\x57454250'::bytea then
        return 'image/webp';
    end if;
    return null;
end
$$;
comment on function app.document_content_type(bytea) is
    'The media type of a file from its first bytes (PDF, PNG, JPEG, WebP: the allowlist), or null when the bytes are none of them. What a client claims is never asked.';

create or replace function app.document_truncation(content bytea, content_type text)
returns text
language plpgsql
immutable
strict
as $$
-- why the file looks cut short, or null when its end is where its format puts it
declare
    n constant integer := octet_length(content);
    tail bytea;
begin
    case content_type
    when 'application/pdf' then
        -- a complete PDF ends with %%EOF (a few bytes of line ends may follow)
        tail := substr(content, greatest(1, n - 1023), 1024);
        if position('\x2525454f46'::bytea in tail) = 0 then
            return 'a PDF ends with %%EOF, this one does not';
        end if;
    when 'image/png' then
        -- IHDR first, IEND (with its fixed CRC) last
        if n < 57 or substr(content, 13, 4) <> '\x49484452'::bytea then
            return 'a PNG starts with its IHDR chunk, this one does not';
        end if;
        if substr(content, n - 11, 12) <> '\x0000000049454e44ae426082'::bytea then
            return 'a PNG ends with its IEND chunk, this one does not';
        end if;
    when 'image/jpeg' then
        -- EOI (FF D9) at the end; some writers pad a few bytes after it
        tail := substr(content, greatest(1, n - 63), 64);
        if n < 125 or position('\xffd9'::bytea in tail) = 0 then
            return 'a JPEG ends with its EOI marker (FF D9), this one does not';
        end if;
    when 'image/webp' then
        -- the RIFF header's size (little-endian, after the first 8 bytes) is the rest of the file
        if n < 30 or get_byte(content, 4) + (get_byte(content, 5) << 8) + (get_byte(content, 6) << 16)
                     + (get_byte(content, 7)::bigint << 24) + 8 > n then
            return 'a WebP file is as long as its RIFF header says, this one is shorter';
        end if;
    else
        return format('%s is not a document type', content_type);
    end case;
    return null;
end
$$;
comment on function app.document_truncation(bytea, text) is
    'Why a file of the given type looks truncated (its end marker or declared length is missing), or null when its structure is complete.';

create or replace function app.document_image_size(content bytea, content_type text)
returns integer[]
language plpgsql
immutable
strict
as $$
-- {width, height} where the header says it at a fixed place (PNG IHDR); null otherwise (the
-- thumbnail worker fills the rest)
begin
    if content_type = 'image/png' and octet_length(content) >= 24 then
        return array[
            (get_byte(content, 16)::bigint << 24) + (get_byte(content, 17) << 16) + (get_byte(content, 18) << 8) + get_byte(content, 19),
            (get_byte(content, 20)::bigint << 24) + (get_byte(content, 21) << 16) + (get_byte(content, 22) << 8) + get_byte(content, 23)
        ]::integer[];
    end if;
    return null;
end
$$;
comment on function app.document_image_size(bytea, text) is
    'Width and height of a PNG from its IHDR chunk; null for other types (the thumbnail worker measures them).';

-- -------------------------------------------------------------------------------------------------
-- the files

create table app.document_files (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    sha256 text not null,
    content_type text not null,
    bytes integer not null,
    content bytea not null,
    width integer,
    height integer,
    thumbnail bytea,
    thumbnail_type text,
    thumbnail_state text not null default 'none',
    thumbnail_error text,
    thumbnail_attempts integer not null default 0,
    thumbnail_lease_until timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    constraint document_files_pkey primary key (tenant_id, id),
    constraint document_files_sha256_unique unique (tenant_id, sha256),
    constraint document_files_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint document_files_content_type_allowed
        check (content_type in ('application/pdf', 'image/png', 'image/jpeg', 'image/webp')),
    constraint document_files_bytes_match check (bytes = octet_length(content) and bytes > 0),
    constraint document_files_width_positive check (width between 1 and 1000000),
    constraint document_files_height_positive check (height between 1 and 1000000),
    constraint document_files_thumbnail_state_valid check (thumbnail_state in ('none', 'pending', 'done', 'failed')),
    constraint document_files_thumbnail_with_state
        check ((thumbnail is not null) = (thumbnail_state = 'done') and (thumbnail is null) = (thumbnail_type is null)),
    constraint document_files_thumbnail_type_image check (thumbnail_type in ('image/webp', 'image/jpeg', 'image/png')),
    constraint document_files_thumbnail_error_length check (char_length(thumbnail_error) <= 500)
);
-- images and PDFs are compressed already: store them out of line without trying again
alter table app.document_files alter column content set storage external;
alter table app.document_files alter column thumbnail set storage external;
comment on table app.document_files is
    'The bytes of documents, one row per distinct file in a tenant (SHA-256, de-duplicated): detected media type, size, image dimensions, thumbnail and its state. Immutable content; a file goes when the last document pointing at it is purged.';
select app.distribute_table('app.document_files', 'tenant');
alter table app.document_files
    add constraint document_files_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create index document_files_thumbnails_due on app.document_files (thumbnail_lease_until nulls first)
    where thumbnail_state = 'pending';

create or replace function app.tg_document_files_prepare()
returns trigger
language plpgsql
as $$
declare
    detected text;
    size integer[];
begin
    if tg_op = 'UPDATE' then
        if new.content is distinct from old.content or new.sha256 is distinct from old.sha256
           or new.content_type is distinct from old.content_type then
            raise exception using
                errcode = 'check_violation',
                constraint = 'document_files_content_immutable',
                column = 'content',
                message = 'content: a stored file never changes',
                hint = 'Upload the new version as a new document.';
        end if;
        return new;
    end if;
    new.bytes := octet_length(new.content);
    new.sha256 := encode(sha256(new.content), 'hex');
    detected := app.document_content_type(new.content);
    if detected is null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'document_files_content_type_allowed',
            column = 'content',
            message = 'content: not a PDF, PNG, JPEG or WebP file (judged by its first bytes)',
            hint = 'Documents are PDF files or PNG, JPEG or WebP images.';
    end if;
    new.content_type := detected;
    size := app.document_image_size(new.content, detected);
    new.width := coalesce(new.width, size[1]);
    new.height := coalesce(new.height, size[2]);
    new.thumbnail_state := case when detected like 'image/%' then 'pending' else 'none' end;
    new.thumbnail := null;
    new.thumbnail_type := null;
    return new;
end
$$;
comment on function app.tg_document_files_prepare() is
    'BEFORE INSERT OR UPDATE on document_files: on insert computes size and SHA-256 and detects the media type from the bytes (refusing types off the allowlist), marks images for a thumbnail; on update refuses any change of the content.';
create trigger _200_prepare before insert or update on app.document_files
    for each row execute function app.tg_document_files_prepare();

create or replace function app.tg_document_files_thumbnail_notify()
returns trigger
language plpgsql
as $$
begin
    perform pg_notify('document_thumbnail', '');
    return null;
end
$$;
comment on function app.tg_document_files_thumbnail_notify() is
    'AFTER INSERT on document_files (per statement): wakes the thumbnail worker (LISTEN document_thumbnail).';
create trigger _500_thumbnail_notify after insert on app.document_files
    for each statement execute function app.tg_document_files_thumbnail_notify();

select app.enable_tenant_rules('app.document_files');

-- the audit log keeps what a file is, not its bytes: they would double the storage, and the SHA-256
-- names them
drop trigger _900_audit_insert on app.document_files;
drop trigger _900_audit_update on app.document_files;
drop trigger _900_audit_delete on app.document_files;

create or replace function app.tg_audit_row_omitting()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    tenant_column constant text := tg_argv[0];
    omitted constant text[] := tg_argv[1:];
    table_name constant text := tg_relid::regclass::text;
    old_row jsonb;
    new_row jsonb;
    c text;
begin
    old_row := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    new_row := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
    foreach c in array omitted loop
        -- a bytea is '\x' and two hex digits per byte in JSON
        old_row := case when old_row is not null then old_row - c
            || jsonb_build_object(c || '_bytes', (pg_catalog.length(old_row ->> c) - 2) / 2) end;
        new_row := case when new_row is not null then new_row - c
            || jsonb_build_object(c || '_bytes', (pg_catalog.length(new_row ->> c) - 2) / 2) end;
    end loop;
    insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
    values ((coalesce(new_row, old_row) ->> tenant_column)::uuid, table_name, tg_op,
            (coalesce(new_row, old_row) ->> 'id')::uuid, old_row, new_row, app.current_user_id());
    return null;
end
$$;
comment on function app.tg_audit_row_omitting() is
    'AFTER trigger (_900_audit) of tables with bulky bytea columns: like app.tg_audit_row, the change goes to audit.record_version under the tenant in the column named by the first argument, but the bytea columns named by the further arguments are replaced by their sizes (<column>_bytes).';

create trigger _900_audit after insert or update or delete on app.document_files
    for each row execute function app.tg_audit_row_omitting('tenant_id', 'content', 'thumbnail');

-- -------------------------------------------------------------------------------------------------
-- the documents

create table app.documents (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    file_id uuid not null,
    vehicle_id uuid not null,
    fuel_log_id uuid,
    maintenance_id uuid,
    reminder_id uuid,
    kind text not null default 'other',
    file_name text not null,
    title text,
    notes text,
    content_type text not null,
    bytes integer not null,
    sha256 text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint documents_pkey primary key (tenant_id, id),
    constraint documents_one_record check (num_nonnulls(fuel_log_id, maintenance_id, reminder_id) <= 1),
    constraint documents_kind_valid
        check (kind in ('receipt', 'invoice', 'insurance', 'registration', 'manual', 'warranty', 'photo', 'other')),
    constraint documents_file_name_safe
        check (char_length(file_name) between 1 and 255 and file_name !~ '[/\\[:cntrl:]]' and file_name !~ '^\.+$'),
    constraint documents_title_length check (char_length(title) between 1 and 200),
    constraint documents_notes_length check (char_length(notes) <= 4000),
    constraint documents_sha256_hex check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint documents_content_type_allowed
        check (content_type in ('application/pdf', 'image/png', 'image/jpeg', 'image/webp')),
    constraint documents_bytes_positive check (bytes > 0)
);
comment on table app.documents is
    'Documents attached to a vehicle, or to one of its fill-ups, maintenance records or reminders (at most one record; vehicle_id is always the vehicle). The bytes are in app.document_files (file_id); content_type, bytes and sha256 are copied from there.';
select app.distribute_table('app.documents', 'tenant');
alter table app.documents
    add constraint documents_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint documents_file_fk foreign key (tenant_id, file_id)
        references app.document_files (tenant_id, id),
    add constraint documents_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint documents_fuel_log_fk foreign key (tenant_id, fuel_log_id)
        references app.fuel_logs (tenant_id, id) on delete cascade,
    add constraint documents_maintenance_fk foreign key (tenant_id, maintenance_id)
        references app.maintenance (tenant_id, id) on delete cascade,
    add constraint documents_reminder_fk foreign key (tenant_id, reminder_id)
        references app.reminders (tenant_id, id) on delete cascade;

create index documents_vehicle_recent on app.documents (tenant_id, vehicle_id, created_at desc, id desc);
create index documents_file_idx on app.documents (tenant_id, file_id);
create index documents_fuel_log_idx on app.documents (tenant_id, fuel_log_id) where fuel_log_id is not null;
create index documents_maintenance_idx on app.documents (tenant_id, maintenance_id) where maintenance_id is not null;
create index documents_reminder_idx on app.documents (tenant_id, reminder_id) where reminder_id is not null;

create or replace function app.document_record_columns()
returns table (column_name text, record_table regclass)
language sql
stable
as $$
    -- the record types a document can be attached to: every two-column foreign key
    -- (tenant_id, <column>) of app.documents except the file's and the vehicle's
    select a.attname::text, k.confrelid::regclass
    from pg_catalog.pg_constraint as k
    join pg_catalog.pg_attribute as a on a.attrelid = k.conrelid and a.attnum = k.conkey[2]
    where k.conrelid = 'app.documents'::regclass
      and k.contype = 'f'
      and cardinality(k.conkey) = 2
      and k.confrelid not in ('app.document_files'::regclass, 'app.vehicles'::regclass)
    order by 1
$$;
comment on function app.document_record_columns() is
    'The columns of app.documents that attach a document to a record (fuel_log_id, maintenance_id, reminder_id, ...) and their tables, read from its foreign keys: a new record type is a new column with its foreign key.';

create or replace function app.tg_documents_prepare()
returns trigger
language plpgsql
as $$
declare
    ref record;
    record_id uuid;
    record_vehicle uuid;
    row_json jsonb := to_jsonb(new);
    old_json jsonb := case when tg_op = 'UPDATE' then to_jsonb(old) end;
begin
    new.file_name := btrim(new.file_name);
    new.title := nullif(btrim(new.title), '');
    new.notes := nullif(btrim(new.notes), '');
    new.kind := lower(btrim(new.kind));
    if tg_op = 'UPDATE' and (new.file_id, new.sha256, new.bytes, new.content_type)
                            is distinct from (old.file_id, old.sha256, old.bytes, old.content_type) then
        raise exception using
            errcode = 'check_violation',
            constraint = 'documents_file_immutable',
            column = 'file_id',
            message = 'file_id: a document keeps its file',
            hint = 'Upload the new file as a new document (POST /rpc/upload_document).';
    end if;
    for ref in select * from app.document_record_columns() loop
        record_id := (row_json ->> ref.column_name)::uuid;
        continue when record_id is null
            or (old_json is not null and (old_json ->> ref.column_name)::uuid = record_id
                and new.vehicle_id = old.vehicle_id);
        execute format('select vehicle_id from %s where tenant_id = $1 and id = $2 and deleted_at is null',
                       ref.record_table)
            into record_vehicle
            using new.tenant_id, record_id;
        if record_vehicle is null then
            raise exception using
                errcode = 'foreign_key_violation',
                constraint = 'documents_' || regexp_replace(ref.column_name, '_id$', '') || '_fk',
                column = ref.column_name,
                message = format('%s: no %s %s in this tenant', ref.column_name, ref.record_table, record_id),
                hint = 'Attach documents to records of the active tenant that are not deleted.';
        end if;
        if new.vehicle_id is null then
            new.vehicle_id := record_vehicle;
        elsif new.vehicle_id <> record_vehicle then
            raise exception using
                errcode = 'check_violation',
                constraint = 'documents_record_of_vehicle',
                column = 'vehicle_id',
                message = format('vehicle_id: %s %s belongs to vehicle %s, not %s',
                                 ref.column_name, record_id, record_vehicle, new.vehicle_id),
                hint = 'Leave vehicle_id out when attaching to a record: it is the record''s vehicle.';
        end if;
    end loop;
    if new.vehicle_id is null then
        raise exception using
            errcode = 'not_null_violation',
            column = 'vehicle_id',
            message = 'vehicle_id: a document is attached to a vehicle or to one of its records',
            hint = 'Give X-Document-Vehicle-Id, or a record such as X-Document-Fuel-Log-Id.';
    end if;
    return new;
end
$$;
comment on function app.tg_documents_prepare() is
    'BEFORE INSERT OR UPDATE on documents: trims the texts, keeps the file, and finds the vehicle of the record the document is attached to (any column of app.document_record_columns()): fills vehicle_id, or refuses a vehicle_id that is not the record''s.';
create trigger _200_prepare before insert or update on app.documents
    for each row execute function app.tg_documents_prepare();

create or replace function app.tg_documents_release_file()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    delete from app.document_files as f
    where f.tenant_id = old.tenant_id
      and f.id = old.file_id
      and not exists (select from app.documents as d where d.tenant_id = f.tenant_id and d.file_id = f.id);
    return null;
end
$$;
comment on function app.tg_documents_release_file() is
    'AFTER DELETE on documents (a purge or a cascade): deletes the file when no document points at it any more.';
create trigger _400_release_file after delete on app.documents
    for each row execute function app.tg_documents_release_file();

select app.enable_tenant_rules('app.documents');

create or replace view api.documents
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, fuel_log_id, maintenance_id, reminder_id, kind, file_name, title, notes,
       content_type, bytes, sha256, file_id, created_at, updated_at, created_by, updated_by
from app.documents
where deleted_at is null;
comment on view api.documents is
    'Documents of the active tenant: receipts, invoices, insurance cards, manuals attached to a vehicle or to one of its fill-ups, maintenance records or reminders. Upload with POST /rpc/upload_document (the bytes as application/octet-stream), download with GET /rpc/document_content?id=...; PATCH kind, title, notes or the record; DELETE moves a document to documents_trash.';
comment on column api.documents.vehicle_id is 'The vehicle (filled from the record when attached to one).';
comment on column api.documents.fuel_log_id is 'The fill-up it belongs to, if any (at most one record per document).';
comment on column api.documents.maintenance_id is 'The maintenance record it belongs to, if any.';
comment on column api.documents.reminder_id is 'The reminder it belongs to, if any.';
comment on column api.documents.kind is 'receipt, invoice, insurance, registration, manual, warranty, photo or other.';
comment on column api.documents.file_name is 'The name a download is saved under (no / or \, at most 255 characters).';
comment on column api.documents.content_type is 'The media type detected from the bytes: application/pdf, image/png, image/jpeg or image/webp.';
comment on column api.documents.bytes is 'Size in bytes.';
comment on column api.documents.sha256 is 'SHA-256 of the bytes (64 hex digits); documents with the same bytes share one stored file.';
comment on column api.documents.file_id is 'The stored file (api.document_files): thumbnail state and image size.';

select app.create_trash_api('api.documents', 'document', 'documents');

create or replace view api.document_files
with (security_invoker = true)
as
select tenant_id, id, sha256, content_type, bytes, width, height, thumbnail_state, created_at
from app.document_files;
comment on view api.document_files is
    'The stored files of the active tenant (one per distinct SHA-256), without their bytes: media type, size, image dimensions, thumbnail state (none, pending, done, failed). Read-only.';
comment on column api.document_files.thumbnail_state is
    'none (not an image), pending (the worker makes it), done (GET /rpc/document_thumbnail?id=<document>), failed.';
select app.protect_read_only_view('api.document_files');

-- -------------------------------------------------------------------------------------------------
-- upload and download

create domain api."*/*" as bytea;
comment on domain api."*/*" is
    'PostgREST''s "any" media type handler: a function returning it answers its bytes as they are, with the Content-Type it sets in response.headers.';

create or replace function app.percent_decode(value text)
returns text
language sql
immutable
strict
as $$
    -- %XX escapes to bytes, read as UTF-8 (invalid UTF-8 raises 22021: a 400)
    select coalesce(convert_from(string_agg(
               case when m[1] is not null then decode(m[1], 'hex') else convert_to(m[2], 'UTF8') end,
               ''::bytea order by n), 'UTF8'), '')
    from regexp_matches(value, '%([0-9A-Fa-f]{2})|([^%]+|%)', 'g') with ordinality as t(m, n)
$$;
comment on function app.percent_decode(text) is
    'Decodes percent-encoding (RFC 3986) into UTF-8 text: how header values carry characters outside ASCII.';

create or replace function app.document_header_fields()
returns jsonb
language plpgsql
stable
as $$
-- the X-Document-<column> request headers as {"<column>": value}; a header naming no writable
-- column of api.documents is refused
declare
    headers constant jsonb := coalesce(nullif(current_setting('request.headers', true), '')::jsonb, '{}');
    writable constant text[] := array(
        select a.attname::text
        from pg_catalog.pg_attribute as a
        where a.attrelid = 'api.documents'::regclass and a.attnum > 0 and not a.attisdropped
          and a.attname not in ('tenant_id', 'id', 'content_type', 'bytes', 'sha256', 'file_id',
                                'created_at', 'updated_at', 'created_by', 'updated_by'));
    fields jsonb := '{}';
    h record;
    field text;
begin
    for h in select key, value from jsonb_each_text(headers) where key like 'x-document-%' loop
        field := replace(substr(h.key, 12), '-', '_');
        if not field = any (writable) then
            raise exception using
                errcode = 'invalid_parameter_value',
                column = field,
                message = format('%s: X-Document-%s is not a field of a document', field, substr(h.key, 12)),
                hint = format('Known fields: %s.', array_to_string(writable, ', '));
        end if;
        fields := fields || jsonb_build_object(field, app.percent_decode(h.value));
    end loop;
    return fields;
end
$$;
comment on function app.document_header_fields() is
    'The X-Document-<field> headers of the current request (lower case, - for _; values percent-decoded as UTF-8) as a JSON object of api.documents fields; refuses a header that names no writable field.';

create or replace function api.upload_document(bytea)
returns setof api.documents
language plpgsql
as $$
declare
    body constant bytea := $1;
    max_bytes constant integer := app.document_max_bytes();
    fields jsonb := app.document_header_fields();
    detected text;
    problem text;
    file app.document_files;
    columns text;
    new_id uuid;
begin
    if body is null or octet_length(body) = 0 then
        raise exception using
            errcode = 'check_violation',
            constraint = 'document_files_bytes_match',
            column = 'content',
            message = 'content: the request body is empty',
            hint = 'Send the file''s bytes as the body, with Content-Type: application/octet-stream.';
    end if;
    if octet_length(body) > max_bytes then
        raise sqlstate 'PT413' using
            message = format('content: %s bytes is over the limit of %s bytes', octet_length(body), max_bytes),
            detail = 'constraint document_files_bytes_limit',
            hint = 'Documents are at most motovault.document_max_bytes bytes; shrink or split the file.';
    end if;
    detected := app.document_content_type(body);
    if detected is null then
        raise sqlstate 'PT415' using
            message = 'content: not a PDF, PNG, JPEG or WebP file (judged by its first bytes)',
            detail = 'constraint document_files_content_type_allowed',
            hint = 'Documents are PDF files or PNG, JPEG or WebP images; the file''s own bytes decide, not the name or a header.';
    end if;
    problem := app.document_truncation(body, detected);
    if problem is not null then
        raise exception using
            errcode = 'check_violation',
            constraint = 'document_files_content_complete',
            column = 'content',
            message = format('content: the file is truncated (%s)', problem),
            hint = 'Upload the whole file again.';
    end if;
    if not fields ? 'file_name' then
        fields := fields || jsonb_build_object('file_name',
            'document' || case detected when 'application/pdf' then '.pdf' when 'image/png' then '.png'
                                        when 'image/jpeg' then '.jpg' else '.webp' end);
    end if;

    -- the same bytes in this tenant are stored once
    insert into app.document_files (content, sha256, content_type, bytes)
    values (body, '', '', 0)
    on conflict (tenant_id, sha256) do nothing
    returning * into file;
    if file.id is null then
        select * into file
        from app.document_files as f
        where f.tenant_id = app.current_tenant_id() and f.sha256 = encode(sha256(body), 'hex');
    end if;

    fields := fields || jsonb_build_object('file_id', file.id, 'content_type', file.content_type,
                                           'bytes', file.bytes, 'sha256', file.sha256);
    select string_agg(format('%I', key), ', ') into columns from jsonb_object_keys(fields) as key;
    execute format(
        'insert into app.documents (%s) select %s from jsonb_populate_record(null::app.documents, $1) returning id',
        columns, columns)
        into new_id
        using fields;
    return query select * from api.documents as d where d.id = new_id;
end
$$;
comment on function api.upload_document(bytea) is
    'Uploads a document: the body is the file (Content-Type: application/octet-stream), headers X-Document-<field> say what it is attached to and what it is (X-Document-Vehicle-Id or X-Document-Fuel-Log-Id / -Maintenance-Id / -Reminder-Id, X-Document-Kind, X-Document-File-Name, X-Document-Title, X-Document-Notes; values percent-encoded UTF-8). The type is detected from the bytes (PDF, PNG, JPEG, WebP); 413 over the size limit, 415 for another type, 400 for a truncated file; identical bytes are stored once per tenant. Returns the new document.';

create or replace function app.document_disposition(file_name text)
returns text
language sql
immutable
strict
as $$
    -- RFC 6266: an ASCII fallback name (quotes and backslashes replaced) and the UTF-8 name percent-encoded
    select format('attachment; filename="%s"; filename*=UTF-8''''%s',
                  regexp_replace(file_name, '[^\x20-\x7e]|["\\]', '_', 'g'),
                  (select string_agg(
                              case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122
                                        or b in (45, 46, 95, 126)
                                   then chr(b)
                                   else '%' || upper(lpad(to_hex(b), 2, '0')) end, '' order by i)
                   from generate_series(0, octet_length(convert_to(file_name, 'UTF8')) - 1) as i,
                        lateral get_byte(convert_to(file_name, 'UTF8'), i) as b))
$$;
comment on function app.document_disposition(text) is
    'The Content-Disposition header of a download: attachment with an ASCII filename and the exact UTF-8 filename* (RFC 6266, RFC 5987).';

create or replace function api.document_content(id uuid)
returns api."*/*"
language plpgsql
stable
as $$
declare
    doc app.documents;
    content bytea;
begin
    select * into doc
    from app.documents as d
    where d.tenant_id = app.current_tenant_id() and d.id = document_content.id and d.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no document %s', document_content.id),
            hint = 'GET /documents lists the documents of the active tenant.';
    end if;
    select f.content into content
    from app.document_files as f
    where f.tenant_id = doc.tenant_id and f.id = doc.file_id;
    perform set_config('response.headers', json_build_array(
        json_build_object('Content-Type', doc.content_type),
        json_build_object('Content-Disposition', app.document_disposition(doc.file_name)),
        json_build_object('ETag', format('"%s"', doc.sha256)),
        json_build_object('Cache-Control', 'private, max-age=86400'),
        json_build_object('X-Content-Type-Options', 'nosniff')
    )::text, true);
    return content;
end
$$;
comment on function api.document_content(uuid) is
    'Downloads a document: its bytes with their Content-Type, Content-Disposition: attachment (the file name), an ETag (the SHA-256). 404 for a document that is not in the active tenant or is deleted.';

create or replace function api.document_thumbnail(id uuid)
returns api."*/*"
language plpgsql
stable
as $$
declare
    doc app.documents;
    thumb bytea;
    thumb_type text;
    thumb_state text;
begin
    select * into doc
    from app.documents as d
    where d.tenant_id = app.current_tenant_id() and d.id = document_thumbnail.id and d.deleted_at is null;
    if found then
        select f.thumbnail, f.thumbnail_type, f.thumbnail_state into thumb, thumb_type, thumb_state
        from app.document_files as f
        where f.tenant_id = doc.tenant_id and f.id = doc.file_id;
    end if;
    if thumb is null then
        raise sqlstate 'PT404' using
            message = format('id: no thumbnail of document %s%s', document_thumbnail.id,
                             case when thumb_state is not null then ' (thumbnail ' || thumb_state || ')' end),
            hint = 'Images get a thumbnail from the worker shortly after upload; api.document_files shows thumbnail_state.';
    end if;
    perform set_config('response.headers', json_build_array(
        json_build_object('Content-Type', thumb_type),
        json_build_object('Cache-Control', 'private, max-age=86400'),
        json_build_object('X-Content-Type-Options', 'nosniff')
    )::text, true);
    return thumb;
end
$$;
comment on function api.document_thumbnail(uuid) is
    'A small preview (at most 320 pixels on its longer side) of an image document, made by the worker; 404 until it exists or for a document that is not an image.';

grant select, insert, update on api.documents to app_user;  -- delete: app.create_trash_api
grant select on api.document_files to app_user;
grant usage on type api."*/*" to app_user;
revoke execute on function api.upload_document(bytea), api.document_content(uuid), api.document_thumbnail(uuid) from public;
grant execute on function api.upload_document(bytea), api.document_content(uuid), api.document_thumbnail(uuid) to app_user;
revoke execute on function app.document_max_bytes(), app.document_content_type(bytea), app.document_truncation(bytea, text),
    app.document_image_size(bytea, text), app.document_record_columns(), app.document_header_fields(),
    app.document_disposition(text), app.percent_decode(text)
    from public;
grant execute on function app.document_max_bytes(), app.document_content_type(bytea), app.document_truncation(bytea, text),
    app.document_image_size(bytea, text), app.document_record_columns(), app.document_header_fields(),
    app.document_disposition(text), app.percent_decode(text)
    to app_user;

-- -------------------------------------------------------------------------------------------------
-- the thumbnail worker (motovault worker, as vin_worker)

create or replace function app.document_thumbnail_claim(batch_size integer, worker text, lease_seconds integer default 120)
returns table (tenant_id uuid, id uuid, content_type text, content bytea)
language sql
security definer
set search_path = ''
as $$
    with due as (
        select f.tenant_id, f.id
        from app.document_files as f
        where f.thumbnail_state = 'pending'
          and (f.thumbnail_lease_until is null or f.thumbnail_lease_until < pg_catalog.now())
        order by f.thumbnail_lease_until nulls first, f.created_at
        limit batch_size
        for update skip locked
    )
    update app.document_files as f
    set thumbnail_lease_until = pg_catalog.now() + pg_catalog.make_interval(secs => lease_seconds),
        thumbnail_attempts = f.thumbnail_attempts + 1
    from due
    where f.tenant_id = due.tenant_id and f.id = due.id
    returning f.tenant_id, f.id, f.content_type, f.content
$$;
comment on function app.document_thumbnail_claim(integer, text, integer) is
    'Leases up to batch_size files waiting for a thumbnail (FOR UPDATE SKIP LOCKED; an expired lease is claimed again) and returns their bytes. worker names the claimer in logs.';

create or replace function app.document_thumbnail_finish(
    file_tenant uuid, file_id uuid, thumbnail bytea, thumbnail_type text, width integer, height integer, error text
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
    update app.document_files as f
    set thumbnail = document_thumbnail_finish.thumbnail,
        thumbnail_type = case when document_thumbnail_finish.thumbnail is not null then document_thumbnail_finish.thumbnail_type end,
        thumbnail_state = case when document_thumbnail_finish.thumbnail is not null then 'done'
                               when f.thumbnail_attempts >= 3 or error like 'undecodable:%' then 'failed'
                               else 'pending' end,
        thumbnail_error = left(error, 500),
        thumbnail_lease_until = case when document_thumbnail_finish.thumbnail is null
                                     then pg_catalog.now() + pg_catalog.make_interval(mins => 5 * f.thumbnail_attempts) end,
        width = coalesce(document_thumbnail_finish.width, f.width),
        height = coalesce(document_thumbnail_finish.height, f.height)
    where f.tenant_id = file_tenant and f.id = file_id and f.thumbnail_state = 'pending';
    return found;
end
$$;
comment on function app.document_thumbnail_finish(uuid, uuid, bytea, text, integer, integer, text) is
    'Stores the worker''s thumbnail and the image size (state done), or its error: an undecodable image fails at once, other errors are retried (5 minutes times the attempts) and fail after the third.';

revoke execute on function app.document_thumbnail_claim(integer, text, integer),
    app.document_thumbnail_finish(uuid, uuid, bytea, text, integer, integer, text) from public;
grant execute on function app.document_thumbnail_claim(integer, text, integer),
    app.document_thumbnail_finish(uuid, uuid, bytea, text, integer, integer, text) to vin_worker;

commit;
