-- Verify motovault:claims on pg

select 'app.jwt_claims()'::regprocedure, 'app.current_user_id()'::regprocedure, 'app.current_tenant_id()'::regprocedure;
select 1 / has_function_privilege('app_user', 'app.current_tenant_id()', 'execute')::integer;
