-- Revert motovault:check_request from pg: back to its @v1.0 definition (the deploy script of @v1.0)
-- requires: tenancy
-- requires: role_settings
--
-- app.check_request(): PostgREST's db-pre-request. Applies the role's timeouts of this database
-- (which PostgREST 12 ignores), then an authenticated request needs a UUID sub (else 401) and, when it
-- names a tenant_id, a membership in it (else 403).

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
    if current_user <> 'app_user' then
        return;
    end if;
    claims := app.jwt_claims();
    if jsonb_typeof(claims -> 'sub') is distinct from 'string' or (claims ->> 'sub') !~ uuid_pattern then
        raise sqlstate 'PT401' using
            message = 'JWT sub claim: missing or not a UUID',
            hint = 'Sign tokens with sub set to the user id.';
    end if;
    if claims ? 'tenant_id' then
        if jsonb_typeof(claims -> 'tenant_id') is distinct from 'string' or (claims ->> 'tenant_id') !~ uuid_pattern then
            raise sqlstate 'PT403' using
                message = 'JWT tenant_id claim: not a UUID',
                hint = 'tenant_id names the active tenant; leave it out to act without one.';
        end if;
        -- the membership lookup inline, with the claims parsed once (measured: this check is the
        -- pre-request's whole cost; bench/api_bench.py)
        perform
        from app.memberships as m
        where m.tenant_id = (claims ->> 'tenant_id')::uuid
          and m.user_id = (claims ->> 'sub')::uuid
          and m.deleted_at is null;
        if not found then
            raise sqlstate 'PT403' using
                message = format('user %s is not a member of tenant %s', claims ->> 'sub', claims ->> 'tenant_id'),
                hint = 'GET /my_tenants lists the tenants this user belongs to.';
        end if;
    end if;
end
$$;
comment on function app.check_request() is
    'PostgREST db-pre-request: applies the current role''s timeouts set for this database (ALTER ROLE ... IN DATABASE, which PostgREST 12 ignores); an authenticated request needs a UUID sub (else 401) and, when it names a tenant_id, a membership in it (else 403).';
grant usage on schema app to anon;
grant execute on function app.check_request() to anon, app_user;

commit;
