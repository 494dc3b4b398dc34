-- Verify motovault:table_rules on pg

select has_function_privilege('app.enable_tenant_rules(regclass, boolean, text)', 'execute');
select has_function_privilege('app.purge_deleted(integer)', 'execute');
select has_function_privilege('app.restore_row(regclass, uuid)', 'execute');
select 'app.soft_delete_row()'::regprocedure, 'app.audit_row()'::regprocedure, 'app.stamp_row()'::regprocedure;
select id, tenant_id, table_name, operation, row_id, old_record, new_record, actor, txid, recorded_at
from audit.record_version
where false;
select 1 / (app.uuid_v7()::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7')::int;
select 1 / (app.current_tenant_id() is null)::int;
