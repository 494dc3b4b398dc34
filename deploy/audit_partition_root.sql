-- Deploy motovault:audit_partition_root to pg
-- requires: vehicle_events
--
-- Rows of a partitioned table (vehicle_events) were audited under the partition's name
-- (app.vehicle_events_p2026_11), so api.audit_log?table_name=eq.app.vehicle_events missed them.
-- The audit trigger now logs the partition tree's root. (search_path is empty here, so regclass
-- prints schema-qualified names, as before.)

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


-- rows logged before: renamed to their partitioned table
update audit.record_version as r
set table_name = pg_partition_root(p.oid)::regclass::text
from pg_class as p
where p.relispartition
  and r.table_name = p.oid::regclass::text;

commit;
