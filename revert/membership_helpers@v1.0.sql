-- Revert motovault:membership_helpers from pg

begin;

drop function app.tg_forget_member_role();
drop function app.current_tenant_member_ids();
drop function app.current_user_tenant_ids();
drop function app.current_member_can_write();
drop function app.current_member_role();

commit;
