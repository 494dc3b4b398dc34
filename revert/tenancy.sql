-- Revert motovault:tenancy from pg

begin;

drop function api.remove_member(uuid);
drop function api.change_member_role(uuid, text);
drop function api.add_member(uuid, text);
drop function api.create_tenant(text, text);
drop function app.check_member_role(text);
drop function app.require_member_manager(text);
drop policy record_version_owners_admins_read on audit.record_version;
revoke select on audit.record_version from app_user;
revoke usage on schema audit from app_user;
drop view api.audit_log;
drop view api.members;
drop view api.my_tenants;
revoke usage on schema app from anon;
drop function app.check_request();
drop policy tenants_members_read on app.tenants;
drop policy users_self_and_comembers_read on app.users;
drop table app.memberships;
drop table app.users;
drop table app.tenants;
drop function app.keep_an_owner();
drop function app.current_member_can_write();
drop function app.current_member_role();

commit;
