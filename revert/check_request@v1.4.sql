-- Revert motovault:check_request from pg: back to its @v1.1 definition (the deploy script of @v1.1),
-- then drop the lookups this rework added
-- requires: tenancy
-- requires: role_settings
-- requires: api_keys
-- requires: oidc_identities
--
-- app.check_request(): PostgREST's db-pre-request. Applies the role's timeouts of this database
-- (which PostgREST 12 ignores), then decides who the request is and in which tenant:
--   * a motovault token needs a UUID sub and a live session (sid) or a live API key (akid; a read
--     key's token may only GET); a bare
--     token (motovault token, signed with the server secret) only where motovault.allow_bare_tokens
--     is on (local development, tests);
--   * a token of a registered OpenID Connect issuer needs its audience and a registered identity
--     (rpc/register_identity makes it);
--   * the tenant: the token's tenant claim, else the X-Tenant-Id header; a membership in it, else 403.
-- Revocation is immediate this way although PostgREST caches verified JWTs: the checks run on every
-- request, two index probes. PostgREST accepts a token up to 30 seconds after its exp (clock skew):
-- a session or key revoked is refused here at once, an expired access token within those 30 s.
--
-- Reworked after @v1.0 (accounts, API keys, OpenID Connect).

begin;

set local lock_timeout = '5s';

create or replace function app.check_request()
returns void
language plpgsql
as $$
declare
    claims jsonb;
    uuid_pattern constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
    cache_name constant text := 'motovault.role_settings_' || current_user;
    cached text := current_setting(cache_name, true);
    setting text;
    issuer text;
    outside record;
    member uuid;
    tenant_text text;
    tenant_source text;
begin
    -- the role's timeouts for this database, read from the catalog once per connection and role
    -- (like ALTER ROLE settings themselves, a change applies to new connections)
    if cached is null or cached = '' then
        select coalesce(string_agg(c, ';'), '-')
        into cached
        from pg_db_role_setting as s
        cross join unnest(s.setconfig) as c
        where s.setrole = (select oid from pg_roles where rolname = current_user)
          and s.setdatabase = (select oid from pg_database where datname = current_database())
          and split_part(c, '=', 1) in ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout');
        perform set_config(cache_name, cached, false);
    end if;
    if cached <> '-' then
        foreach setting in array string_to_array(cached, ';') loop
            perform set_config(split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1), true);
        end loop;
    end if;
    -- what this request resolves below; transaction-local, so nothing carries over to the next
    perform set_config('motovault.user_id', '', true);
    perform set_config('motovault.tenant_id', '', true);
    if current_user <> 'app_user' then
        return;
    end if;
    claims := app.jwt_claims();
    issuer := coalesce(claims ->> 'iss', 'motovault');

    if issuer <> 'motovault' then
        -- a token of an outside OpenID Connect provider: registered issuer, our audience, a known identity
        select o.audience, o.tenant_claim into outside from app.oidc_issuer(issuer) as o;
        if not found then
            raise sqlstate 'PT401' using
                message = format('JWT iss claim: %s is not a registered issuer', issuer),
                hint = 'A DBA registers OpenID Connect providers with motovault oidc add.';
        end if;
        if not (claims -> 'aud' = to_jsonb(outside.audience)
                or (jsonb_typeof(claims -> 'aud') = 'array' and claims -> 'aud' ? outside.audience)) then
            raise sqlstate 'PT401' using
                message = format('JWT aud claim: must name %s', outside.audience),
                hint = 'Ask the provider for a token of this API''s audience.';
        end if;
        if jsonb_typeof(claims -> 'sub') is distinct from 'string' or (claims ->> 'sub') = '' then
            raise sqlstate 'PT401' using message = 'JWT sub claim: missing';
        end if;
        member := app.identity_user_id(issuer, claims ->> 'sub');
        if member is null then
            if current_setting('request.path', true) = '/rpc/register_identity' then
                perform set_config('motovault.user_id', 'none', true);
                return;
            end if;
            raise sqlstate 'PT403' using
                message = 'identity: not registered with motovault yet',
                hint = 'POST /rpc/register_identity once, then try again.';
        end if;
        perform set_config('motovault.user_id', member::text, true);
        tenant_text := claims ->> outside.tenant_claim;
        tenant_source := format('JWT %s claim', outside.tenant_claim);
    else
        if jsonb_typeof(claims -> 'sub') is distinct from 'string' or (claims ->> 'sub') !~ uuid_pattern then
            raise sqlstate 'PT401' using
                message = 'JWT sub claim: missing or not a UUID',
                hint = 'Sign tokens with sub set to the user id.';
        end if;
        member := (claims ->> 'sub')::uuid;
        if claims ? 'sid' then
            -- a signed-in session: revoked or expired sessions stop at the next request
            if (claims ->> 'sid') !~ uuid_pattern or not app.session_is_live((claims ->> 'sid')::uuid, member) then
                raise sqlstate 'PT401' using
                    message = 'session: signed out, revoked or expired',
                    hint = 'Sign in again.';
            end if;
        elsif claims ? 'akid' then
            -- an API key's token: a revoked or expired key stops at the next request
            if (claims ->> 'akid') !~ uuid_pattern or (claims ->> 'tenant_id') !~ uuid_pattern
               or not app.api_key_is_live((claims ->> 'akid')::uuid, member, (claims ->> 'tenant_id')::uuid) then
                raise sqlstate 'PT401' using
                    message = 'api key: revoked or expired',
                    hint = 'Ask the key''s owner for a new one.';
            end if;
            -- a read key reads: no write of any kind, RPCs included (the role check in
            -- app.current_member_role makes it a viewer too, for the tables)
            if claims ->> 'scope' is distinct from 'write'
               and coalesce(current_setting('request.method', true), 'GET') not in ('GET', 'HEAD', 'OPTIONS') then
                raise sqlstate 'PT403' using
                    message = format('api key: read-only, so %s is refused', current_setting('request.method', true)),
                    hint = 'Read with GET (read-only functions too: GET /rpc/...), or use a key of scope write.';
            end if;
        elsif coalesce(current_setting('motovault.allow_bare_tokens', true), '') <> 'on' then
            raise sqlstate 'PT401' using
                message = 'JWT: names no session or API key',
                hint = 'Get tokens from rpc/sign_in, rpc/refresh or rpc/exchange_api_key. Tokens signed with the server secret alone (motovault token) work only where motovault.allow_bare_tokens is on (local development).';
        end if;
        tenant_text := claims ->> 'tenant_id';
        tenant_source := 'JWT tenant_id claim';
        if claims ? 'tenant_id' and jsonb_typeof(claims -> 'tenant_id') is distinct from 'string' then
            tenant_text := '';
        end if;
    end if;

    if tenant_text is null then
        tenant_text := nullif(current_setting('request.headers', true), '')::json ->> 'x-tenant-id';
        tenant_source := 'X-Tenant-Id header';
    end if;
    if tenant_text is not null then
        if tenant_text !~ uuid_pattern then
            raise sqlstate 'PT403' using
                message = format('%s: not a UUID', tenant_source),
                hint = 'tenant_id names the active tenant; leave it out to act without one.';
        end if;
        -- the membership lookup inline (measured: it is the pre-request's main cost; bench/api_bench.py)
        perform
        from app.memberships as m
        where m.tenant_id = tenant_text::uuid
          and m.user_id = member
          and m.deleted_at is null;
        if not found then
            raise sqlstate 'PT403' using
                message = format('user %s is not a member of tenant %s', member, tenant_text),
                hint = 'GET /my_tenants lists the tenants this user belongs to.';
        end if;
        if tenant_source <> 'JWT tenant_id claim' then
            perform set_config('motovault.tenant_id', tenant_text, true);
        end if;
    end if;
end
$$;
comment on function app.check_request() is
    'PostgREST db-pre-request: applies the current role''s timeouts set for this database (ALTER ROLE ... IN DATABASE, which PostgREST 12 ignores); then an authenticated request needs a live session or API key (or a registered OpenID Connect identity, or bare tokens allowed), else 401, and a membership in the tenant its token or X-Tenant-Id header names, else 403.';
grant usage on schema app to anon;
grant execute on function app.check_request() to anon, app_user;

drop function app.live_api_key(uuid, uuid, uuid);
drop function app.live_session(uuid, uuid);

commit;
