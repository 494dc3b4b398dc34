-- Revert motovault:role_timeouts from pg: this database's role settings only

begin;

select format('alter role %I in database %I reset statement_timeout', r.role_name, current_database())
from unnest(array['app_user', 'analyst', 'anon', 'vin_worker']) as r (role_name)
\gexec

select format('alter role analyst in database %I reset idle_in_transaction_session_timeout', current_database())
\gexec

create or replace function app.check_request()
returns void
language plpgsql
as $$
declare
    claims jsonb;
    uuid_pattern constant text := '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
begin
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
        if app.current_member_role() is null then
            raise sqlstate 'PT403' using
                message = format('user %s is not a member of tenant %s', claims ->> 'sub', claims ->> 'tenant_id'),
                hint = 'GET /my_tenants lists the tenants this user belongs to.';
        end if;
    end if;
end
$$;
comment on function app.check_request() is
    'PostgREST db-pre-request: an authenticated request needs a UUID sub (else 401) and, when it names a tenant_id, a membership in it (else 403).';


commit;
