-- Verify motovault:tenancy on pg

select id, name, kind, created_at, updated_at, created_by, updated_by, deleted_at from app.tenants where false;
select id, display_name, email from app.users where false;
select tenant_id, user_id, id, role, deleted_at from app.memberships where false;
select 1 / count(*)::integer from pg_class where oid = 'app.memberships'::regclass and relrowsecurity and relforcerowsecurity;
