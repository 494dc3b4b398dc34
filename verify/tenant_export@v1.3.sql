-- Verify motovault:tenant_export on pg

select 'api.export_tenant()'::regprocedure, 'api.import_tenant(jsonb)'::regprocedure,
       'app.require_tenant_owner(text)'::regprocedure;
select table_name, step, columns, import_columns, uuid_columns, id_columns, key_columns, keep_rows, insert_order
from app.tenant_export_tables()
where false;
select table_name, skipped, reason from app.tenant_export_rules() where false;
