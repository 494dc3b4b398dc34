-- Deploy motovault:audit_log to pg
-- requires: membership_helpers
-- requires: distribution
--
-- The append-only change logs, written by app.tg_audit_row():
--   audit.record_version         one row per inserted, updated, soft-deleted, restored or deleted row of
--                                every tenant table (and of the tenant itself); its key is led by
--                                tenant_id, so it is distributed with the tenant's rows. Owners and admins
--                                read their tenant's rows through api.audit_log.
--   audit.shared_record_version  the same for the shared tables (users, stations): no tenant, no API reader.
-- Nobody updates or deletes either through the API.

begin;

set local lock_timeout = '5s';

create table audit.record_version (
    tenant_id uuid not null,
    id bigint generated always as identity,
    table_name text not null,
    operation text not null,
    row_id uuid,
    old_record jsonb,
    new_record jsonb,
    actor uuid,
    txid bigint not null default txid_current(),
    recorded_at timestamptz not null default clock_timestamp(),
    constraint record_version_pkey primary key (tenant_id, id),
    constraint record_version_operation_known
        check (operation in ('INSERT', 'UPDATE', 'DELETE', 'SOFT_DELETE', 'RESTORE')),
    constraint record_version_records_match_operation
        check (
            (operation = 'INSERT' and old_record is null and new_record is not null)
            or (operation = 'DELETE' and old_record is not null and new_record is null)
            or (operation in ('UPDATE', 'SOFT_DELETE', 'RESTORE') and old_record is not null and new_record is not null)
        )
);
comment on table audit.record_version is
    'Append-only change log of the tenant tables: one row per inserted, updated, soft-deleted, restored or deleted row, under the tenant it belongs to.';
comment on column audit.record_version.actor is 'JWT sub of the request that made the change (behind PostgREST session_user is always the authenticator).';
comment on column audit.record_version.txid is 'Transaction id: changes made by one request share it.';
select app.distribute_table('audit.record_version', 'tenant');

create index record_version_tenant_table_row_idx
    on audit.record_version (tenant_id, table_name, row_id, recorded_at);
create index record_version_tenant_time_idx
    on audit.record_version (tenant_id, recorded_at);

alter table audit.record_version enable row level security;
create policy record_version_owners_admins_read on audit.record_version
    for select to app_user
    using (tenant_id = app.current_tenant_id() and app.current_member_role() in ('owner', 'admin'));
grant usage on schema audit to app_user;
grant select on audit.record_version to app_user;

create table audit.shared_record_version (
    id bigint generated always as identity,
    table_name text not null,
    operation text not null,
    row_id uuid,
    old_record jsonb,
    new_record jsonb,
    actor uuid,
    txid bigint not null default txid_current(),
    recorded_at timestamptz not null default clock_timestamp(),
    constraint shared_record_version_pkey primary key (id),
    constraint shared_record_version_operation_known
        check (operation in ('INSERT', 'UPDATE', 'DELETE', 'SOFT_DELETE', 'RESTORE')),
    constraint shared_record_version_records_match_operation
        check (
            (operation = 'INSERT' and old_record is null and new_record is not null)
            or (operation = 'DELETE' and old_record is not null and new_record is null)
            or (operation in ('UPDATE', 'SOFT_DELETE', 'RESTORE') and old_record is not null and new_record is not null)
        )
);
comment on table audit.shared_record_version is
    'Append-only change log of the shared tables (users, stations): one row per change, with the acting user. Read by the owner role only.';
select app.distribute_table('audit.shared_record_version', 'reference');

create index shared_record_version_table_row_idx
    on audit.shared_record_version (table_name, row_id, recorded_at);

alter table audit.shared_record_version enable row level security;
create policy shared_record_version_owner_role_read on audit.shared_record_version
    for select to motovault_owner
    using (true);

commit;
