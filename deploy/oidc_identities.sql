-- Deploy motovault:oidc_identities to pg
-- requires: accounts
--
-- Tokens of an outside OpenID Connect provider (Keycloak, Auth0, Authentik ...) work too:
--   * a DBA registers the issuer with its audience, the claim that names the tenant and its public keys
--     (`motovault oidc add`, auth_private.add_oidc_issuer); the keys join the JWKS PostgREST verifies
--     with (auth_private.postgrest_jwks());
--   * app.check_request() checks such a token's aud against the issuer's audience and maps its
--     (iss, sub) -- sub may be any string -- to a motovault user (auth_private.identities); the tenant
--     comes from the issuer's tenant claim or the X-Tenant-Id header, and the membership check applies;
--   * the first request of a new identity is POST /rpc/register_identity, which makes its user (or
--     links a user with the same verified email).
-- The provider must put role: app_user in its tokens (a hardcoded-claim mapper; docs/api.md).

begin;

set local lock_timeout = '5s';

create table auth_private.oidc_issuers (
    issuer text not null,
    audience text not null,
    tenant_claim text not null default 'tenant_id',
    jwks jsonb not null,
    created_at timestamptz not null default now(),
    constraint oidc_issuers_pkey primary key (issuer),
    constraint oidc_issuers_issuer_url check (issuer ~ '^https?://\S+$' and issuer <> 'motovault'),
    constraint oidc_issuers_audience_not_blank check (btrim(audience) <> ''),
    constraint oidc_issuers_tenant_claim_name check (tenant_claim ~ '^[A-Za-z_][A-Za-z0-9_.:/-]{0,99}$'),
    constraint oidc_issuers_jwks_has_keys
        check (jsonb_typeof(jwks -> 'keys') = 'array' and jsonb_array_length(jwks -> 'keys') > 0)
);
comment on table auth_private.oidc_issuers is
    'Outside OpenID Connect issuers whose tokens the API accepts: the audience their tokens must name, the claim that names the tenant, their public keys (JWKS).';
select app.distribute_table('auth_private.oidc_issuers', 'local');

create table auth_private.identities (
    issuer text not null,
    subject text not null,
    user_id uuid not null,
    created_at timestamptz not null default now(),
    constraint identities_pkey primary key (issuer, subject),
    constraint identities_subject_length check (char_length(subject) between 1 and 255)
);
comment on table auth_private.identities is 'Which motovault user an outside identity (issuer, subject) is.';
select app.distribute_table('auth_private.identities', 'local');
alter table auth_private.identities
    add constraint identities_issuer_fk foreign key (issuer) references auth_private.oidc_issuers (issuer) on delete cascade,
    add constraint identities_user_fk foreign key (user_id) references app.users (id) on delete cascade;
create index identities_user_idx on auth_private.identities (user_id);

create or replace function auth_private.add_oidc_issuer(
    issuer text,
    audience text,
    jwks jsonb,
    tenant_claim text default 'tenant_id'
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
    if exists (
        select from jsonb_array_elements(add_oidc_issuer.jwks -> 'keys') as k
        where k ->> 'kty' not in ('RSA', 'EC') or k ? 'd'
    ) then
        raise exception using
            errcode = 'check_violation', constraint = 'oidc_issuers_public_keys_only', column = 'jwks',
            message = 'jwks: RSA or EC public keys only (no private parts, no symmetric keys)';
    end if;
    insert into auth_private.oidc_issuers as o (issuer, audience, tenant_claim, jwks)
    values (add_oidc_issuer.issuer, add_oidc_issuer.audience, add_oidc_issuer.tenant_claim, add_oidc_issuer.jwks)
    on conflict on constraint oidc_issuers_pkey do update
    set audience = excluded.audience, tenant_claim = excluded.tenant_claim, jwks = excluded.jwks;
end
$$;
comment on function auth_private.add_oidc_issuer(text, text, jsonb, text) is
    'Registers (or updates) an OpenID Connect issuer: its tokens must name audience; tenant_claim names the tenant; jwks holds its public keys (RSA/EC only).';

create or replace function auth_private.postgrest_jwks(max_token_lifetime interval default interval '1 hour')
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select jsonb_build_object('keys', (auth_private.jwks(max_token_lifetime) -> 'keys') || coalesce((
        select jsonb_agg(k order by o.issuer)
        from auth_private.oidc_issuers as o
        cross join jsonb_array_elements(o.jwks -> 'keys') as k), '[]'::jsonb))
$$;
comment on function auth_private.postgrest_jwks(interval) is
    'The JWKS PostgREST verifies tokens with: motovault''s signing keys and the registered issuers'' public keys (`motovault keys export` writes it).';

create or replace function app.oidc_issuer(issuer text)
returns table (audience text, tenant_claim text)
language sql
stable
security definer
set search_path = ''
as $$
    select o.audience, o.tenant_claim from auth_private.oidc_issuers as o where o.issuer = oidc_issuer.issuer
$$;
comment on function app.oidc_issuer(text) is 'The audience and tenant claim of a registered issuer (no row: not registered). For app.check_request.';

create or replace function app.identity_user_id(issuer text, subject text)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
    select i.user_id from auth_private.identities as i where i.issuer = identity_user_id.issuer and i.subject = identity_user_id.subject
$$;
comment on function app.identity_user_id(text, text) is 'The motovault user of an outside identity, or NULL. For app.check_request.';

create or replace function api.register_identity()
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    claims constant jsonb := app.jwt_claims();
    token_issuer constant text := claims ->> 'iss';
    token_subject constant text := claims ->> 'sub';
    address text := lower(btrim(claims ->> 'email'));
    linked uuid;
begin
    if token_issuer is null or not exists (select from auth_private.oidc_issuers as o where o.issuer = token_issuer) then
        raise sqlstate 'PT400' using
            message = 'token: not from a registered OpenID Connect issuer',
            hint = 'motovault accounts sign up with rpc/sign_up.';
    end if;
    linked := app.identity_user_id(token_issuer, token_subject);
    if linked is not null then
        return jsonb_build_object('user_id', linked, 'registered', false);
    end if;
    if address is not null and coalesce((claims ->> 'email_verified')::boolean, false) then
        select u.id into linked from app.users as u where lower(u.email) = address and u.deleted_at is null;
    end if;
    if linked is null then
        if address is null or address !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
           or exists (select from app.users as u where lower(u.email) = address and u.deleted_at is null) then
            address := null;
        end if;
        insert into app.users (id, email, display_name)
        values (gen_random_uuid(), address, left(nullif(btrim(claims ->> 'name'), ''), 100))
        returning id into linked;
    end if;
    insert into auth_private.identities (issuer, subject, user_id) values (token_issuer, token_subject, linked);
    perform auth_private.record_event('identity_registered', linked, null, null, jsonb_build_object('issuer', token_issuer));
    return jsonb_build_object('user_id', linked, 'registered', true);
end
$$;
comment on function api.register_identity() is
    'For a token of a registered OpenID Connect provider: makes the motovault user of its identity (or links the user with the same email when the provider says email_verified). Call it once, before anything else.';

grant execute on function app.oidc_issuer(text), app.identity_user_id(text, text), api.register_identity() to app_user;

commit;
