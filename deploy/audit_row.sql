-- Deploy motovault:audit_row to pg
-- requires: audit_log
-- requires: claims
--
-- app.audit_row(): the one audit trigger function. FOR EACH ROW it logs one change; FOR EACH STATEMENT
-- with the transition tables old_rows and new_rows (UPDATE, key unchanged) it logs the whole
-- statement in one INSERT (the VIN worker's batch fills). Rows of a partition are logged under their
-- partitioned table.

begin;

set local lock_timeout = '5s';

create function app.audit_row()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    old_row jsonb;
    new_row jsonb;
    op text := tg_op;
begin
    if tg_level = 'STATEMENT' then
        -- UPDATE statements that cannot change the key: (tenant_id, id) pairs each old row with its
        -- new version (the vin_worker role has no UPDATE privilege on tenant_id or id)
        insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
        select
            n.tenant_id,
            coalesce(pg_catalog.pg_partition_root(tg_relid), tg_relid)::regclass::text,
            case
                when o.deleted_at is null and n.deleted_at is not null then 'SOFT_DELETE'
                when o.deleted_at is not null and n.deleted_at is null then 'RESTORE'
                else 'UPDATE'
            end,
            n.id,
            to_jsonb(o),
            to_jsonb(n),
            app.current_user_id()
        from old_rows as o
        join new_rows as n
            on n.tenant_id = o.tenant_id
            and n.id = o.id;
        return null;
    end if;
    old_row := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
    new_row := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
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
        -- a partition's row is logged under its partitioned table (app.vehicle_events, not _p2026_11)
        coalesce(pg_catalog.pg_partition_root(tg_relid), tg_relid)::regclass::text,
        op,
        (coalesce(new_row, old_row) ->> 'id')::uuid,
        old_row,
        new_row,
        app.current_user_id()
    );
    return null;
end
$$;
comment on function app.audit_row() is
    'AFTER trigger of every tenant table: writes the change to audit.record_version. FOR EACH ROW: one row per call. FOR EACH STATEMENT with transition tables old_rows and new_rows (UPDATE only, key unchanged): the same rows for the whole statement in one INSERT.';

commit;
