-- Verify motovault:tenancy on pg

select id, name, kind, created_at, updated_at, created_by, updated_by, deleted_at from app.tenants where false;
select id, display_name, email, created_at, updated_at, deleted_at from app.users where false;
select tenant_id, user_id, id, role, created_at, updated_at, deleted_at from app.memberships where false;
select 1 / (select relforcerowsecurity::int from pg_class where oid = 'app.memberships'::regclass);
select 'app.check_request()'::regprocedure;
select tenant_id, name, kind, role, member_since from api.my_tenants where false;
select 1 / has_function_privilege('app_user', 'api.create_tenant(text, text)', 'execute')::int;
