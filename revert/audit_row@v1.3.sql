-- Revert motovault:audit_row from pg: back to its @v1.2 definition
--
-- app.tg_audit_row() as in deploy/audit_row@v1.2.sql.

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
    changes jsonb;
    tenant text;
begin
    if tg_level = 'STATEMENT' then
        -- 1. the transition tables alone, read into one local value (on Citus a trigger runs on a
        --    shard, where a transition table cannot be joined with, nor inserted into, a
        --    distributed table): [{tenant, id, operation, old, new}, ...] in the statement's order
        if tg_op = 'INSERT' then
            select jsonb_agg(jsonb_build_object('new', to_jsonb(x.r)) order by x.ord) into changes
            from (select r, row_number() over () from new_rows as r) as x(r, ord);
        elsif tg_op = 'DELETE' then
            select jsonb_agg(jsonb_build_object('old', to_jsonb(x.r)) order by x.ord) into changes
            from (select r, row_number() over () from old_rows as r) as x(r, ord);
        else
            -- (tenant, id) pairs each old row with its new version: neither can change (tg_stamp_row)
            with o as (select to_jsonb(r) as j from old_rows as r),
                 n as (select to_jsonb(r) as j, row_number() over () as ord from new_rows as r)
            select jsonb_agg(jsonb_build_object('old', o.j, 'new', n.j) order by n.ord) into changes
            from n
            join o on o.j -> 'id' = n.j -> 'id'
                  and o.j -> coalesce(tenant_column, 'id') = n.j -> coalesce(tenant_column, 'id');
        end if;
        if changes is null then
            return null;  -- a statement that wrote no row
        end if;
        -- 2. one INSERT per tenant of the statement, from that value (a single-tenant statement: the
        --    one shard of that tenant's audit rows)
        for tenant in
            select distinct coalesce(c -> 'new', c -> 'old') ->> tenant_column
            from jsonb_array_elements(changes) as c
            where tenant_column is not null
        loop
            insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
            select tenant::uuid, table_name, app.audit_operation(tg_op, c -> 'old', c -> 'new'),
                   (coalesce(c -> 'new', c -> 'old') ->> 'id')::uuid, c -> 'old', c -> 'new', app.current_user_id()
            from jsonb_array_elements(changes) with ordinality as x(c, ord)
            where coalesce(c -> 'new', c -> 'old') ->> tenant_column = tenant
            order by x.ord;
        end loop;
        if tenant_column is null then
            insert into audit.shared_record_version (table_name, operation, row_id, old_record, new_record, actor)
            select table_name, app.audit_operation(tg_op, c -> 'old', c -> 'new'),
                   (coalesce(c -> 'new', c -> 'old') ->> 'id')::uuid, c -> 'old', c -> 'new', app.current_user_id()
            from jsonb_array_elements(changes) with ordinality as x(c, ord)
            order by x.ord;
        end if;
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
    'AFTER trigger of every table (_900_audit_insert/_update/_delete): writes the change to audit.record_version under the tenant held by the column named in the argument (tenant_id, or id for app.tenants), or to audit.shared_record_version without an argument. FOR EACH STATEMENT with the transition tables new_rows (INSERT), old_rows and new_rows (UPDATE, paired by tenant and id) or old_rows (DELETE): the rows of the statement, read into one jsonb value first, then one INSERT per tenant. FOR EACH ROW: one row per call.';

commit;
