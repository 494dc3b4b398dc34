-- Revert motovault:membership_helpers from pg

begin;

drop function app.current_member_can_write();
drop function app.current_member_role();

commit;
