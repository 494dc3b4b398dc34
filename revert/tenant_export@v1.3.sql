-- Revert motovault:tenant_export from pg

begin;

drop function api.import_tenant(jsonb);
drop function api.export_tenant();
drop function app.require_tenant_owner(text);
drop function app.tenant_export_tables();
drop function app.tenant_export_rules();

commit;
