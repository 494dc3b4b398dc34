-- Revert motovault:tenant_imports from pg

begin;

set local lock_timeout = '5s';

drop function app.tenant_import_finish(uuid, text);
drop function app.tenant_import_rows(uuid, text, text, integer, integer);
drop function app.tenant_import_field(text, jsonb);
drop function app.tenant_import_begin(uuid, text, integer);
drop function app.tenant_import_remap(jsonb, text[], text[], jsonb);
drop function app.tenant_import_held(uuid, text);
drop function app.tenant_import_fail(uuid, text, jsonb);
drop function app.tenant_import_progress(uuid, text, integer, integer);
drop function app.tenant_import_claim(text, integer);
drop view api.tenant_imports;
drop table app.tenant_import_documents;
drop table app.tenant_imports;

commit;
