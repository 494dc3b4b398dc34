-- Verify motovault:tenancy_api on pg

select tenant_id, name, kind, role, member_since from api.my_tenants where false;
select user_id, display_name, email, role, member_since from api.members where false;
select id, recorded_at, table_name, operation from api.audit_log where false;
select 'api.create_tenant(text, text)'::regprocedure, 'api.add_member(uuid, text)'::regprocedure,
       'api.change_member_role(uuid, text)'::regprocedure, 'api.remove_member(uuid)'::regprocedure;
