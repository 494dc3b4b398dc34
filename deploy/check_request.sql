-- Deploy motovault:check_request to pg
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
-- Reworked after @v1.1: the session and API-key lookups are plpgsql functions of this change
-- (app.live_session, app.live_api_key). A SQL function that is not inlined (SECURITY DEFINER ones
-- never are) is planned anew in every transaction, i.e. on every request; plpgsql keeps its plan for
-- the connection. Measured with pgbench, one call: 85 us as SQL, 35 us as plpgsql (docs/benchmarks.md).
-- Reworked after @v1.4 (the per-request cost, bench/api_bench.py, docs/benchmarks.md): check_request
-- is SECURITY DEFINER (search_path '') and looks up the live session or API key and the membership
-- itself, as the owner: no nested SECURITY DEFINER call (app.live_session: a search_path switch and
-- back, its own plan), no membership query through the policy of app.memberships (which parsed the
-- claims again). Each lookup stays a single-table probe (a CASE of EXISTS sub-selects in one
-- statement cost the same and is a shape Citus may refuse on a distributed table). The role is the
-- one PostgREST switched to (current_setting('role')), as current_user was before. motovault.user_id
-- and motovault.tenant_id are cleared only when they hold something (writing a setting costs ~3 us,
-- reading it well under 1). The checks, their order and their errors are those of @v1.4.
-- app.live_session and app.live_api_key stay (unchanged) for other callers. Backend CPU of the
-- pre-request over an empty plpgsql function (bench/pre_request_cpu.py, four runs each): 98-123 us
-- at @v1.4, 69-112 us now.

begin;

set local lock_timeout = '5s';

create or replace function app.live_session(session_id uuid, user_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return exists (
        select
        from auth_private.sessions as s
        where s.id = live_session.session_id
          and s.user_id = live_session.user_id
          and s.revoked_at is null
          and s.expires_at > now()
    );
end
$$;
comment on function app.live_session(uuid, uuid) is
    'True when the session exists, belongs to the user, is not revoked and has not expired: app.check_request asks on every request.';
grant execute on function app.live_session(uuid, uuid) to app_user;

create or replace function app.live_api_key(key_id uuid, user_id uuid, tenant_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return exists (
        select
        from auth_private.api_keys as k
        where k.id = live_api_key.key_id
          and k.user_id = live_api_key.user_id
          and k.tenant_id = live_api_key.tenant_id
          and k.revoked_at is null
          and (k.expires_at is null or k.expires_at > now())
    );
end
$$;
comment on function app.live_api_key(uuid, uuid, uuid) is
    'True when the API key exists for this user and tenant, is not revoked and has not expired: app.check_request asks on every request made with its token.';
grant execute on function app.live_api_key(uuid, uuid, uuid) to app_user;

create or replace function app.check_request()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
    -- the role PostgREST switched to (SECURITY DEFINER: current_user is the owner here)
    invoker constant text := coalesce(nullif(current_setting('role'), 'none'), session_user);
    claims jsonb;
    uuid_pattern constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
    cache_name constant text := 'motovault.role_settings_' || invoker;
    cached text := current_setting(cache_name, true);
    setting text;
    issuer text;
    outside record;
    member uuid;
    session_id uuid;
    key_id uuid;
    tenant_text text;
    tenant_source text;
    tenant uuid;
    verdict text;
begin
    -- the role's timeouts for this database, read from the catalog once per connection and role
    -- (like ALTER ROLE settings themselves, a change applies to new connections)
    if cached is null or cached = '' then
        select coalesce(string_agg(c, ';'), '-')
        into cached
        from pg_catalog.pg_db_role_setting as s
        cross join unnest(s.setconfig) as c
        where s.setrole = (select r.oid from pg_catalog.pg_roles as r where r.rolname = invoker)
          and s.setdatabase = (select d.oid from pg_catalog.pg_database as d where d.datname = current_database())
          and split_part(c, '=', 1) in ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout');
        perform set_config(cache_name, cached, false);
    end if;
    if cached <> '-' then
        foreach setting in array string_to_array(cached, ';') loop
            perform set_config(split_part(setting, '=', 1), substr(setting, strpos(setting, '=') + 1), true);
        end loop;
    end if;
    -- what this request resolves below: empty unless set below, transaction-local, so nothing
    -- carries over to the next request (cleared only when something set them for the session)
    if current_setting('motovault.user_id', true) <> '' then
        perform set_config('motovault.user_id', '', true);
    end if;
    if current_setting('motovault.tenant_id', true) <> '' then
        perform set_config('motovault.tenant_id', '', true);
    end if;
    if invoker <> 'app_user' then
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
            if (claims ->> 'sid') !~ uuid_pattern then
                raise sqlstate 'PT401' using
                    message = 'session: signed out, revoked or expired',
                    hint = 'Sign in again.';
            end if;
            session_id := (claims ->> 'sid')::uuid;
        elsif claims ? 'akid' then
            -- an API key's token: a revoked or expired key stops at the next request
            if (claims ->> 'akid') !~ uuid_pattern or (claims ->> 'tenant_id') !~ uuid_pattern then
                raise sqlstate 'PT401' using
                    message = 'api key: revoked or expired',
                    hint = 'Ask the key''s owner for a new one.';
            end if;
            key_id := (claims ->> 'akid')::uuid;
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
        tenant_text := nullif(current_setting('request.headers', true), '')::pg_catalog.json ->> 'x-tenant-id';
        tenant_source := 'X-Tenant-Id header';
    end if;
    if tenant_text ~ uuid_pattern then
        tenant := tenant_text::uuid;
    end if;
    -- the session or key, then the membership: two single-table probes of this function, as the
    -- owner (each the shape a Citus coordinator routes: memberships to the shard of its tenant);
    -- what they found is reported below in the order of the checks
    if session_id is not null then
        perform
        from auth_private.sessions as s
        where s.id = session_id
          and s.user_id = member
          and s.revoked_at is null
          and s.expires_at > now();
        if not found then
            verdict := 'session';
        end if;
    elsif key_id is not null then
        -- a key's token names its tenant: the key must be of it
        perform
        from auth_private.api_keys as k
        where k.id = key_id
          and k.user_id = member
          and k.tenant_id = tenant
          and k.revoked_at is null
          and (k.expires_at is null or k.expires_at > now());
        if not found then
            verdict := 'key';
        end if;
    end if;
    if verdict is null and tenant is not null then
        perform
        from app.memberships as m
        where m.tenant_id = tenant
          and m.user_id = member
          and m.deleted_at is null;
        if not found then
            verdict := 'membership';
        end if;
    end if;
    if verdict = 'session' then
        raise sqlstate 'PT401' using
            message = 'session: signed out, revoked or expired',
            hint = 'Sign in again.';
    elsif verdict = 'key' then
        raise sqlstate 'PT401' using
            message = 'api key: revoked or expired',
            hint = 'Ask the key''s owner for a new one.';
    end if;
    -- a read key reads: no write of any kind, RPCs included (the role check in
    -- app.current_member_role makes it a viewer too, for the tables)
    if key_id is not null and claims ->> 'scope' is distinct from 'write'
       and coalesce(current_setting('request.method', true), 'GET') not in ('GET', 'HEAD', 'OPTIONS') then
        raise sqlstate 'PT403' using
            message = format('api key: read-only, so %s is refused', current_setting('request.method', true)),
            hint = 'Read with GET (read-only functions too: GET /rpc/...), or use a key of scope write.';
    end if;
    if tenant_text is not null then
        if tenant is null then
            raise sqlstate 'PT403' using
                message = format('%s: not a UUID', tenant_source),
                hint = 'tenant_id names the active tenant; leave it out to act without one.';
        end if;
        if verdict = 'membership' then
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
    'PostgREST db-pre-request: applies the current role''s timeouts set for this database (ALTER ROLE ... IN DATABASE, which PostgREST 12 ignores); then an authenticated request needs a live session or API key (or a registered OpenID Connect identity, or bare tokens allowed), else 401, and a membership in the tenant its token or X-Tenant-Id header names, else 403; SECURITY DEFINER: the live session or key and the membership are read as the owner.';
grant usage on schema app to anon;
grant execute on function app.check_request() to anon, app_user;

commit;
