-- Verify motovault:oidc_identities on pg

select issuer, audience, tenant_claim, jwks from auth_private.oidc_issuers where false;
select issuer, subject, user_id from auth_private.identities where false;
select 1 / (jsonb_array_length(auth_private.postgrest_jwks() -> 'keys') >= 1)::integer;
