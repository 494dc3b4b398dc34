-- Revert motovault:tenancy from pg

begin;

drop policy tenants_members_read on app.tenants;
drop policy users_self_and_comembers_read on app.users;
drop table app.memberships;
drop table app.users;
drop table app.tenants;
drop function app.keep_an_owner();

commit;
