-- Deploy motovault:audit_row to pg
-- requires: audit_log
-- requires: claims
--
-- Reworked after @v1.2 for bulk writes (docs/bulk.md): the statement path of app.tg_audit_row()
-- still reads the transition tables alone into one jsonb value and writes one INSERT per tenant
-- from it (Citus), but with less work per row: an inserted or deleted row goes into the value as it
-- is (not wrapped in {"new": ...}, which copied it twice more), the statement's tenants come from
-- the same read, the actor is taken once per statement (not per row), the operation is the
-- trigger's own for INSERT and DELETE, and a statement of one tenant (every API request) needs no
-- filter on its rows. What is logged is unchanged: one row per changed row, in the statement's
-- order, with the same tenant, table, operation, old and new record and actor.
--
-- Reworked after @v1.3: the statement's rows are kept as a jsonb[] (array_agg) rather than one jsonb
-- array (jsonb_agg): jsonb_agg decodes every row into an in-memory tree and encodes the whole array
-- again, and jsonb_array_elements then copies each row out of it; an array of jsonb holds each row as
-- to_jsonb made it, and unnest hands it over as it is. Same value, read from the transition tables
-- alone (Citus), same rows logged.

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
    actor constant uuid := app.current_user_id();
    old_row jsonb;
    new_row jsonb;
    op text := tg_op;
    changes jsonb[];
    olds jsonb[];
    tenants text[];
    tenant text;
begin
    if tg_level = 'STATEMENT' then
        -- 1. the transition tables alone, read into one local value (on Citus a trigger runs on a
        --    shard, where a transition table cannot be joined with, nor inserted into, a
        --    distributed table), in the statement's order, with the statement's tenants:
        --    INSERT {new row, ...}, DELETE {old row, ...}, UPDATE {new row, ...} and {its old row, ...}
        if tg_op = 'INSERT' then
            select array_agg(x.j), array_agg(distinct x.j ->> tenant_column) into changes, tenants
            from (select to_jsonb(r) as j from new_rows as r) as x;
        elsif tg_op = 'DELETE' then
            select array_agg(x.j), array_agg(distinct x.j ->> tenant_column) into changes, tenants
            from (select to_jsonb(r) as j from old_rows as r) as x;
        else
            -- (tenant, id) pairs each old row with its new version: neither can change (tg_stamp_row)
            with o as (select to_jsonb(r) as j from old_rows as r),
                 n as (select to_jsonb(r) as j, row_number() over () as ord from new_rows as r)
            select array_agg(n.j order by n.ord), array_agg(o.j order by n.ord),
                   array_agg(distinct n.j ->> tenant_column)
            into changes, olds, tenants
            from n
            join o on o.j -> 'id' = n.j -> 'id'
                  and o.j -> coalesce(tenant_column, 'id') = n.j -> coalesce(tenant_column, 'id');
        end if;
        if changes is null then
            return null;  -- a statement that wrote no row
        end if;
        -- 2. one INSERT per tenant of the statement, from that value (a single-tenant statement: the
        --    one shard of that tenant's audit rows; its rows need no filter)
        if tenant_column is not null then
            foreach tenant in array tenants loop
                if tg_op = 'UPDATE' then
                    insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
                    select tenant::uuid, table_name, app.audit_operation('UPDATE', c.o, c.n),
                           (c.n ->> 'id')::uuid, c.o, c.n, actor
                    from unnest(olds, changes) as c(o, n)
                    where cardinality(tenants) = 1 or c.n ->> tenant_column = tenant;
                else
                    insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
                    select tenant::uuid, table_name, tg_op, (c ->> 'id')::uuid,
                           case when tg_op = 'DELETE' then c end, case when tg_op = 'INSERT' then c end, actor
                    from unnest(changes) as c
                    where cardinality(tenants) = 1 or c ->> tenant_column = tenant;
                end if;
            end loop;
        elsif tg_op = 'UPDATE' then
            insert into audit.shared_record_version (table_name, operation, row_id, old_record, new_record, actor)
            select table_name, app.audit_operation('UPDATE', c.o, c.n), (c.n ->> 'id')::uuid, c.o, c.n, actor
            from unnest(olds, changes) as c(o, n);
        else
            insert into audit.shared_record_version (table_name, operation, row_id, old_record, new_record, actor)
            select table_name, tg_op, (c ->> 'id')::uuid,
                   case when tg_op = 'DELETE' then c end, case when tg_op = 'INSERT' then c end, actor
            from unnest(changes) as c;
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
        values (table_name, op, (coalesce(new_row, old_row) ->> 'id')::uuid, old_row, new_row, actor);
    else
        insert into audit.record_version (tenant_id, table_name, operation, row_id, old_record, new_record, actor)
        values ((coalesce(new_row, old_row) ->> tenant_column)::uuid, table_name, op,
                (coalesce(new_row, old_row) ->> 'id')::uuid, old_row, new_row, actor);
    end if;
    return null;
end
$$;
comment on function app.tg_audit_row() is
    'AFTER trigger of every table (_900_audit_insert/_update/_delete): writes the change to audit.record_version under the tenant held by the column named in the argument (tenant_id, or id for app.tenants), or to audit.shared_record_version without an argument. FOR EACH STATEMENT with the transition tables new_rows (INSERT), old_rows and new_rows (UPDATE, paired by tenant and id) or old_rows (DELETE): the rows of the statement, read into one jsonb[] value first (no other table in that query), then one INSERT per tenant from unnest. FOR EACH ROW: one row per call.';

commit;
