-- Revert motovault:tenancy_api from pg

begin;

drop function api.remove_member(uuid);
drop function api.change_member_role(uuid, text);
drop function api.add_member(uuid, text);
drop function api.create_tenant(text, text);
drop function app.check_member_role(text);
drop function app.require_member_manager(text);
drop view api.audit_log;
drop view api.members;
drop view api.my_tenants;

commit;
