-- Verify motovault:audit_log on pg

select tenant_id, id, table_name, operation, row_id, old_record, new_record, actor, txid, recorded_at
from audit.record_version
where false;
select id, table_name, operation, row_id, old_record, new_record, actor, txid, recorded_at
from audit.shared_record_version
where false;
select 1 / count(*)::integer from pg_policy where polname = 'record_version_owners_admins_read';
