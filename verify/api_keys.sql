-- Verify motovault:api_keys on pg

select id, user_id, tenant_id, prefix, secret_hash, scope, expires_at, revoked_at from auth_private.api_keys where false;
select 1 / has_function_privilege('anon', 'api.exchange_api_key(text)', 'execute')::integer;
