-- Deploy motovault:claims to pg
-- requires: schemas
--
-- The claims of the current request: PostgREST 12 sets request.jwt.claims (JSON) per transaction;
-- it is '' after commit and unset outside a request. The policies compare tenant_id with
-- app.current_tenant_id(): inlinable STABLE SQL, evaluated once per scan.

begin;

set local lock_timeout = '5s';

create or replace function app.jwt_claims()
returns jsonb
language sql
stable
parallel safe
as $$
    select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
$$;
comment on function app.jwt_claims() is 'The verified JWT claims of the current request (empty object outside a request).';

create or replace function app.current_user_id()
returns uuid
language sql
stable
parallel safe
as $$
    select nullif(app.jwt_claims() ->> 'sub', '')::uuid
$$;
comment on function app.current_user_id() is 'The requesting user: the JWT sub claim (a UUID), or NULL.';

create or replace function app.current_tenant_id()
returns uuid
language sql
stable
parallel safe
as $$
    select nullif(app.jwt_claims() ->> 'tenant_id', '')::uuid
$$;
comment on function app.current_tenant_id() is
    'The active tenant: the JWT tenant_id claim. Inlinable STABLE SQL, so policies comparing tenant_id with it become index conditions evaluated once per scan.';


grant execute on function app.jwt_claims(), app.current_user_id(), app.current_tenant_id() to app_user, vin_worker;

commit;
