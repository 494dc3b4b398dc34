-- Verify motovault:accounts on pg

select user_id, hash from auth_private.passwords where false;
select id, user_id, tenant_id, expires_at, revoked_at from auth_private.sessions where false;
select token_hash, session_id, used_at from auth_private.refresh_tokens where false;
select 1 / has_function_privilege('anon', 'api.sign_in(text, text, uuid)', 'execute')::integer;
select 1 / (not has_function_privilege('anon', 'api.sign_out()', 'execute'))::integer;
select 1 / (auth_private.password_problem('short') = 'password: at least 10 characters')::integer;
