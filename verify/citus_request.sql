-- Verify motovault:citus_request on pg

select has_function_privilege('app_user', 'app.check_request_citus()', 'execute');
