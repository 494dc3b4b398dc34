-- Revert motovault:api_keys from pg

begin;

drop function api.exchange_api_key(text);
drop function api.revoke_api_key(uuid);
drop function api.api_keys();
drop function api.create_api_key(text, text, timestamptz);
drop function app.api_key_is_live(uuid, uuid, uuid);
drop table auth_private.api_keys;

commit;
