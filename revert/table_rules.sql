-- Revert motovault:table_rules from pg

begin;

drop function app.enable_tenant_rules(regclass, boolean, text);
drop function app.purge_deleted(integer);
drop function app.restore_row(regclass, uuid);
drop function app.soft_delete_row();
drop function app.audit_row();
drop table audit.record_version;
drop function app.stamp_row();
drop function app.current_tenant_id();
drop function app.current_user_id();
drop function app.jwt_claims();
drop function app.uuid_v7();

commit;
