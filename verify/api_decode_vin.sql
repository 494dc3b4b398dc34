-- Verify motovault:api_decode_vin on pg

select 'api.decode_vin(text)'::regprocedure;
select 1 / (not has_function_privilege('anon', 'api.decode_vin(text)', 'execute'))::integer;
