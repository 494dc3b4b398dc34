-- Revert motovault:oidc_identities from pg

begin;

drop function api.register_identity();
drop function app.identity_user_id(text, text);
drop function app.oidc_issuer(text);
drop function auth_private.postgrest_jwks(interval);
drop function auth_private.add_oidc_issuer(text, text, jsonb, text);
drop table auth_private.identities;
drop table auth_private.oidc_issuers;

commit;
