-- Deploy motovault:role_timeouts to pg
-- requires: roles
-- requires: tenancy
--
-- One expensive query cannot hold the server: a statement_timeout per role, for this database only
-- (roles are cluster-wide; ALTER ROLE ... IN DATABASE keeps another database's settings apart).
--   app_user    5s   API requests (PostgREST applies the impersonated role's settings per request)
--   analyst    30s   psql sessions on the analytics views; also ends idle transactions after 10 min
--   anon        2s   requests without a JWT
--   vin_worker 60s   the VIN decode worker's batches
-- A cancelled statement fails with SQLSTATE 57014 (query_canceled). pg_dump does not carry these
-- settings: `motovault backup` records and restores them.

begin;

select format('alter role %I in database %I set statement_timeout = %L', r.role_name, current_database(), r.timeout)
from (
    values ('app_user', '5s'), ('analyst', '30s'), ('anon', '2s'), ('vin_worker', '60s')
) as r (role_name, timeout)
\gexec

select format('alter role analyst in database %I set idle_in_transaction_session_timeout = %L', current_database(), '10min')
\gexec

-- PostgREST 12 applies the impersonated role's settings from pg_roles.rolconfig, which holds only the
-- cluster-wide ones: it ignores ALTER ROLE ... IN DATABASE. The pre-request check applies this
-- database's timeouts of the current role itself (SET LOCAL: this request's transaction only), first.
-- Inline, not a helper function: anon may execute nothing but app.check_request().
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

commit;
