-- Revert motovault:claims from pg

begin;

drop function app.current_tenant_id();
drop function app.current_user_id();
drop function app.jwt_claims();

commit;
