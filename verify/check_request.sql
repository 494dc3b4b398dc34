-- Verify motovault:check_request on pg

select 1 / has_function_privilege('anon', 'app.check_request()', 'execute')::integer;
select 1 / (position('pg_db_role_setting' in pg_get_functiondef('app.check_request()'::regprocedure)) > 0)::integer;
select 1 / (position('auth_private.sessions' in pg_get_functiondef('app.check_request()'::regprocedure)) > 0)::integer;
select 1 / (select (p.prosecdef and p.proconfig @> array['search_path=""'])::integer from pg_proc as p where p.oid = 'app.check_request()'::regprocedure);
select 1 / has_function_privilege('app_user', 'app.live_session(uuid, uuid)', 'execute')::integer;
select 1 / has_function_privilege('app_user', 'app.live_api_key(uuid, uuid, uuid)', 'execute')::integer;
