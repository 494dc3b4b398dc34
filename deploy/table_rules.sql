-- Deploy motovault:table_rules to pg
-- requires: schemas
--
-- The rules every tenant table follows, written once:
--   * claims readers (PostgREST 12 sets request.jwt.claims as JSON; '' after commit)
--   * app.stamp_row(): created/updated at/by, tenant_id guard, immutable keys
--   * audit.record_version + app.audit_row(): one generic change log
--   * app.soft_delete_row() / app.restore_row() / app.purge_deleted(): soft delete
--   * app.enable_tenant_rules(table): RLS (forced), policies per command, triggers, grants

begin;

-- time-ordered UUIDs (v7) for tables that grow large: index locality on insert
create function app.uuid_v7()
returns uuid
language sql
volatile
parallel safe
as $$
    select encode(
        set_bit(
            set_bit(
                overlay(
                    uuid_send(gen_random_uuid())
                    placing substring(int8send((extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                    from 1 for 6
                ),
                52, 1
            ),
            53, 1
        ),
        'hex'
    )::uuid
$$;
comment on function app.uuid_v7() is 'A version 7 (time-ordered) UUID: 48-bit millisecond timestamp, then random bits.';

-- claims -------------------------------------------------------------------------------------

create function app.jwt_claims()
returns jsonb
language sql
stable
parallel safe
as $$
    select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
comment on function app.jwt_claims() is 'The verified JWT claims of the current request (empty object outside a request).';

create function app.current_user_id()
returns uuid
language sql
stable
parallel safe
as $$
    select nullif(app.jwt_claims() ->> 'sub', '')::uuid
$$;
comment on function app.current_user_id() is 'The requesting user: the JWT sub claim (a UUID), or NULL.';

create function app.current_tenant_id()
returns uuid
language sql
stable
parallel safe
as $$
    select nullif(app.jwt_claims() ->> 'tenant_id', '')::uuid
$$;
comment on function app.current_tenant_id() is
    'The active tenant: the JWT tenant_id claim. Inlinable STABLE SQL, so policies comparing tenant_id with it become index conditions evaluated once per scan.';

-- timestamps, actors and the tenant guard ---------------------------------------------------

create function app.stamp_row()
returns trigger
language plpgsql
as $$
begin
    if current_user = 'app_user' and tg_nargs = 0 and not app.current_member_can_write() then
        raise exception using
            errcode = 'insufficient_privilege',
            message = format('role: %s cannot write %s', coalesce(app.current_member_role(), 'a non-member'), tg_table_name),
            hint = 'Owners, admins and members write; viewers only read.';
    end if;
    if tg_op = 'INSERT' then
        if tg_nargs > 0 then
            null;  -- a shared table (argument 'shared'): no tenant_id to guard
        elsif new.tenant_id is null then
            new.tenant_id := app.current_tenant_id();
        elsif app.current_tenant_id() is not null and new.tenant_id <> app.current_tenant_id() then
            raise exception using
                errcode = 'insufficient_privilege',
                message = format('tenant_id: %s is not the active tenant', new.tenant_id),
                detail = format('Rows of %I are written to the tenant named in the token (%s).', tg_table_name, app.current_tenant_id()),
                hint = 'Leave tenant_id out; it defaults to the active tenant.';
        end if;
        new.created_at := now();
        new.created_by := app.current_user_id();
    else
        if tg_nargs = 0 and new.tenant_id is distinct from old.tenant_id then
            raise exception using
                errcode = 'insufficient_privilege',
                message = 'tenant_id: a row cannot move to another tenant',
                hint = 'Create the row in the other tenant instead.';
        end if;
        if new.id is distinct from old.id then
            raise exception using
                errcode = 'check_violation',
                message = 'id: the id of a row cannot change',
                hint = 'Leave id out of updates.';
        end if;
        new.created_at := old.created_at;
        new.created_by := old.created_by;
    end if;
    new.updated_at := now();
    new.updated_by := app.current_user_id();
    return new;
end
$$;
comment on function app.stamp_row() is
    'BEFORE INSERT OR UPDATE trigger of every tenant table: sets created_at/updated_at/created_by/updated_by, defaults tenant_id and refuses another tenant''s id or a change of tenant_id or id. With the argument ''shared'' (tables without tenant_id) only the stamps and the id guard apply.';

-- audit ---------------------------------------------------------------------------------------

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

create function app.audit_row()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
    op text := tg_op;
begin
    if tg_op = 'UPDATE' then
        if old_row ->> 'deleted_at' is null and new_row ->> 'deleted_at' is not null then
            op := 'SOFT_DELETE';
        elsif old_row ->> 'deleted_at' is not null and new_row ->> 'deleted_at' is null then
            op := 'RESTORE';
        end if;
    end if;
    insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
    values (
        coalesce(
            coalesce(new_row, old_row) ->> 'tenant_id',
            case when tg_table_name = 'tenants' then coalesce(new_row, old_row) ->> 'id' end
        )::uuid,
        tg_table_schema || '.' || tg_table_name,
        op,
        (coalesce(new_row, old_row) ->> 'id')::uuid,
        old_row,
        new_row,
        app.current_user_id()
    );
    return null;
end
$$;
comment on function app.audit_row() is 'AFTER trigger of every tenant table: writes the change to audit.record_version.';

-- soft delete -----------------------------------------------------------------------------------

create function app.soft_delete_row()
returns trigger
language plpgsql
as $$
begin
    execute format('update %s set deleted_at = now() where tenant_id = $1 and id = $2 and deleted_at is null', tg_argv[0])
    using old.tenant_id, old.id;
    return old;
end
$$;
comment on function app.soft_delete_row() is
    'INSTEAD OF DELETE trigger of api views: marks the row of the table named in the trigger argument deleted instead of removing it.';

create function app.restore_row(target regclass, row_id uuid)
returns void
language plpgsql
as $$
declare
    restored int;
begin
    execute format('update %s set deleted_at = null where tenant_id = $1 and id = $2 and deleted_at is not null', target)
    using app.current_tenant_id(), row_id;
    get diagnostics restored = row_count;
    if restored = 0 then
        raise sqlstate 'PT404' using
            message = format('id: no deleted row %s in %s', row_id, target),
            hint = 'Only rows listed in the trash view of the active tenant can be restored.';
    end if;
end
$$;
comment on function app.restore_row(regclass, uuid) is 'Brings a soft-deleted row of the active tenant back (404 when there is none).';
grant execute on function app.restore_row(regclass, uuid) to app_user;

create function app.purge_deleted(retention_days integer default 30)
returns table (table_name text, purged bigint)
language plpgsql
as $$
declare
    tbl regclass;
begin
    if retention_days is null or retention_days < 0 then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('retention_days: must be 0 or more, got %s', retention_days);
    end if;
    for tbl in
        select c.oid::regclass
        from pg_class as c
        join pg_namespace as n on n.oid = c.relnamespace
        join pg_attribute as a on a.attrelid = c.oid and a.attname = 'deleted_at' and not a.attisdropped
        where n.nspname = 'app'
          and c.relkind in ('r', 'p')
        order by c.relname
    loop
        table_name := tbl::text;
        execute format('delete from %s where deleted_at < now() - make_interval(days => $1)', tbl)
        using retention_days;
        get diagnostics purged = row_count;
        return next;
    end loop;
end
$$;
comment on function app.purge_deleted(integer) is
    'Hard-deletes rows soft-deleted more than retention_days days ago (default 30) in every app table. Owner role only.';

-- applying the rules to a table -----------------------------------------------------------------

create function app.enable_tenant_rules(
    target regclass,
    api_writes boolean default true,
    extra_read text default null
)
returns void
language plpgsql
as $$
declare
    tbl text := target::text;
    short text := (select relname from pg_class where oid = target);
    writer constant text := 'tenant_id = app.current_tenant_id() and (select app.current_member_can_write())';
begin
    execute format('alter table %s enable row level security', tbl);
    execute format('alter table %s force row level security', tbl);

    execute format(
        'create policy %I on %s for select to app_user using (tenant_id = app.current_tenant_id()%s)',
        short || '_members_read', tbl, coalesce(' or ' || extra_read, ''));
    if api_writes then
        execute format('create policy %I on %s for insert to app_user with check (%s)', short || '_writers_insert', tbl, writer);
        execute format(
            'create policy %I on %s for update to app_user using (tenant_id = app.current_tenant_id()) with check (%s)',
            short || '_writers_update', tbl, writer);
        execute format('grant select, insert, update on %s to app_user', tbl);
    else
        execute format('grant select on %s to app_user', tbl);
    end if;
    execute format(
        'create policy %I on %s for all to motovault_owner using (true) with check (true)',
        short || '_owner_role_all', tbl);

    execute format(
        'create trigger %I before insert or update on %s for each row execute function app.stamp_row()',
        short || '_stamp', tbl);
    execute format(
        'create trigger %I after insert or update or delete on %s for each row execute function app.audit_row()',
        short || '_audit', tbl);
end
$$;
comment on function app.enable_tenant_rules(regclass, boolean, text) is
    'Applies the tenant rules to a table: RLS enabled and forced; members read their tenant''s rows (plus extra_read), writers (owner, admin, member) insert and update when api_writes, nobody deletes through the API (DELETE on an api view soft-deletes); the owner role manages all; stamp and audit triggers; grants.';

commit;
