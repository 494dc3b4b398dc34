-- Verify motovault:api_decode_vin on pg

select 1 / has_function_privilege('app_user', 'api.decode_vin(text)', 'execute')::integer;
