-- Revert motovault:auth_private from pg

begin;

drop function auth_private.token_hash(text);
drop function auth_private.random_token(integer);
drop function auth_private.base64url(bytea);
drop extension pgcrypto;
drop schema auth_private;

commit;
