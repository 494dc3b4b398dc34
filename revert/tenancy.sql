-- Revert motovault:tenancy from pg

begin;

drop table app.memberships;
drop table app.users;
drop table app.tenants;
drop function app.tg_keep_an_owner();

commit;
