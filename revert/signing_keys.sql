-- Revert motovault:signing_keys from pg

begin;

drop function auth_private.jwks(interval);
drop function auth_private.sign_jwt(jsonb);
drop function auth_private.current_signing_kid();
drop function auth_private.retire_signing_keys();
drop function auth_private.activate_signing_key(text);
drop function auth_private.add_signing_key(interval);
drop table auth_private.signing_keys;

commit;
