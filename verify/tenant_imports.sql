-- Verify motovault:tenant_imports on pg

select tenant_id, id, status, rows_total, rows_done, attempts, lease_until, leased_by, requested_by, error, error_table,
       error_row, error_field, error_rule, result, finished_at
from app.tenant_imports where false;
select tenant_id, id, doc, ids, orders from app.tenant_import_documents where false;
select id, status, rows_total, rows_done, error, error_table, error_row, error_field, error_rule, result
from api.tenant_imports where false;
select 'app.tenant_import_claim(text, integer)'::regprocedure;
select 'app.tenant_import_progress(uuid, text, integer, integer)'::regprocedure;
select 'app.tenant_import_fail(uuid, text, jsonb)'::regprocedure;
select 'app.tenant_import_held(uuid, text)'::regprocedure;
select 'app.tenant_import_remap(jsonb, text[], text[], jsonb)'::regprocedure;
select 'app.tenant_import_begin(uuid, text, integer)'::regprocedure;
select 'app.tenant_import_field(text, jsonb)'::regprocedure;
select 'app.tenant_import_rows(uuid, text, text, integer, integer)'::regprocedure;
select 'app.tenant_import_finish(uuid, text)'::regprocedure;
