-- Revert motovault:tenant_settings from pg

begin;

drop function api.restore_tenant_settings(uuid);
drop view api.tenant_settings_trash;
drop view api.tenant_settings;
drop table app.tenant_settings;

commit;
