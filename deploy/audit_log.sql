-- Deploy motovault:audit_log to pg
-- requires: membership_helpers
--
-- The append-only change log: one row per inserted, updated, soft-deleted, restored or deleted row of
-- every tenant table, written by app.audit_row(). Owners and admins read their tenant's rows through
-- api.audit_log; nobody updates or deletes them through the API.

begin;

set local lock_timeout = '5s';

create table audit.record_version (
    id bigint generated always as identity primary key,
    tenant_id uuid,
    table_name text not null,
    operation text not null,
    row_id uuid,
    old_record jsonb,
    new_record jsonb,
    actor uuid,
    txid bigint not null default txid_current(),
    recorded_at timestamptz not null default clock_timestamp(),
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
    'Append-only change log: one row per inserted, updated, soft-deleted, restored or deleted row of every tenant table.';
comment on column audit.record_version.actor is 'JWT sub of the request that made the change (behind PostgREST session_user is always the authenticator).';
comment on column audit.record_version.txid is 'Transaction id: changes made by one request share it.';

create index record_version_tenant_table_row_idx
    on audit.record_version (tenant_id, table_name, row_id, recorded_at);
create index record_version_tenant_time_idx
    on audit.record_version (tenant_id, recorded_at);

alter table audit.record_version enable row level security;

create policy record_version_owners_admins_read on audit.record_version
    for select to app_user
    using (tenant_id = app.current_tenant_id() and (select app.current_member_role()) in ('owner', 'admin'));
grant usage on schema audit to app_user;
grant select on audit.record_version to app_user;

commit;
