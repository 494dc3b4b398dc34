-- Revert motovault:audit_row from pg: back to its @v1.1 definition (the deploy script of @v1.1)
-- requires: audit_log
-- requires: claims
--
-- app.tg_audit_row(): the one audit trigger function (trigger _900_audit). It names no table:
--   tg_argv[0]  the column that holds the row's tenant ('tenant_id'; 'id' for app.tenants itself):
--               the change goes to audit.record_version under that tenant; without an argument (a
--               shared table) it goes to audit.shared_record_version.
-- FOR EACH ROW it logs one change; FOR EACH STATEMENT with the transition tables old_rows and new_rows
-- (UPDATE statements that cannot change the key, e.g. the VIN worker's batch fills) it logs the whole
-- statement in one INSERT. A partition's rows are logged under its partitioned table.

begin;

set local lock_timeout = '5s';

create or replace function app.tg_audit_row()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    tenant_column constant text := tg_argv[0];
    table_name constant text := coalesce(pg_catalog.pg_partition_root(tg_relid), tg_relid)::regclass::text;
    old_row jsonb;
    new_row jsonb;
    op text := tg_op;
begin
    if tg_level = 'STATEMENT' then
        -- (tenant, id) pairs each old row with its new version: the statements audited this way
        -- cannot change either
        with o as (select to_jsonb(r) as j from old_rows as r),
             n as (select to_jsonb(r) as j from new_rows as r),
             pairs as (
                 select o.j as old_j, n.j as new_j,
                        case
                            when o.j ->> 'deleted_at' is null and n.j ->> 'deleted_at' is not null then 'SOFT_DELETE'
                            when o.j ->> 'deleted_at' is not null and n.j ->> 'deleted_at' is null then 'RESTORE'
                            else 'UPDATE'
                        end as operation
                 from o
                 join n on n.j -> 'id' = o.j -> 'id'
                       and n.j -> coalesce(tenant_column, 'id') = o.j -> coalesce(tenant_column, 'id')
             ),
             tenant_rows as (
                 insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
                 select (p.new_j ->> tenant_column)::uuid, table_name, p.operation, (p.new_j ->> 'id')::uuid,
                        p.old_j, p.new_j, app.current_user_id()
                 from pairs as p
                 where tenant_column is not null
             )
        insert into audit.shared_record_version (table_name, operation, row_id, old_record, new_record, actor)
        select table_name, p.operation, (p.new_j ->> 'id')::uuid, p.old_j, p.new_j, app.current_user_id()
        from pairs as p
        where tenant_column is null;
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
    if tenant_column is null then
        insert into audit.shared_record_version (table_name, operation, row_id, old_record, new_record, actor)
        values (table_name, op, (coalesce(new_row, old_row) ->> 'id')::uuid, old_row, new_row, app.current_user_id());
    else
        insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
        values ((coalesce(new_row, old_row) ->> tenant_column)::uuid, table_name, op,
                (coalesce(new_row, old_row) ->> 'id')::uuid, old_row, new_row, app.current_user_id());
    end if;
    return null;
end
$$;
comment on function app.tg_audit_row() is
    'AFTER trigger of every table (_900_audit): writes the change to audit.record_version under the tenant held by the column named in the argument (tenant_id, or id for app.tenants), or to audit.shared_record_version without an argument. FOR EACH ROW: one row per call. FOR EACH STATEMENT with transition tables old_rows and new_rows (UPDATE, key unchanged): the same rows for the whole statement in one INSERT.';

-- created by the rework
drop function app.audit_operation(text, jsonb, jsonb);

commit;
