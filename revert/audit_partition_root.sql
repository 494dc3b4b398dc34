-- Revert motovault:audit_partition_root from pg
-- (rows already logged under the root keep that name)

begin;

create or replace function app.audit_row()
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


commit;
