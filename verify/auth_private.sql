-- Verify motovault:auth_private on pg

select 1 / (not has_schema_privilege('app_user', 'auth_private', 'usage'))::integer;
select 1 / (not has_schema_privilege('anon', 'auth_private', 'usage'))::integer;
select 1 / (auth_private.base64url('\xfbff'::bytea) = '-_8')::integer;
