-- Deploy motovault:soft_delete to pg
-- requires: claims
--
-- Soft delete: DELETE on an api view marks the row (INSTEAD OF trigger), restore brings it back,
-- purge hard-deletes what was deleted longer ago than the retention period. When a row that others may
-- point at is hard-deleted, app.tg_clear_references() empties those pointers first: the foreign keys
-- that include tenant_id cannot be ON DELETE SET NULL on Citus.

begin;

set local lock_timeout = '5s';

create or replace function app.tg_soft_delete_row()
returns trigger
language plpgsql
as $$
begin
    execute format('update %s set deleted_at = now() where tenant_id = $1 and id = $2 and deleted_at is null', tg_argv[0])
    using old.tenant_id, old.id;
    return old;
end
$$;
comment on function app.tg_soft_delete_row() is
    'INSTEAD OF DELETE trigger of api views (_500_soft_delete): marks the row of the table named in the trigger argument deleted instead of removing it.';

create or replace function app.tg_clear_references()
returns trigger
language plpgsql
as $$
begin
    -- the foreign key (tenant_id, <column>) -> (tenant_id, id) is NO ACTION, checked at the end of the
    -- statement: the rows that pointed here no longer do by then
    execute format('update %s set %I = null where tenant_id = $1 and %I = $2', tg_argv[0], tg_argv[1], tg_argv[1])
    using old.tenant_id, old.id;
    return old;
end
$$;
comment on function app.tg_clear_references() is
    'BEFORE DELETE trigger (_300_clear_<column>) of a table that rows of the table in the first argument point at through the column in the second (with tenant_id): sets that column to NULL in those rows, what ON DELETE SET NULL (column) would do if Citus accepted it on a key that includes the distribution column.';

create or replace function app.restore_row(target regclass, row_id uuid)
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

create or replace function app.purge_deleted(retention_days integer default 30)
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

commit;
