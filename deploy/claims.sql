-- Deploy motovault:claims to pg
-- requires: schemas
--
-- The claims of the current request: PostgREST 12 sets request.jwt.claims (JSON) per transaction;
-- it is '' after commit and unset outside a request. The policies compare tenant_id with
-- app.current_tenant_id(): inlinable STABLE SQL, evaluated once per scan.
--
-- Reworked after @v1.0 (accounts): what app.check_request() resolved for this request wins over the
-- raw claims -- motovault.user_id, the user an outside OpenID Connect identity maps to ('none': not
-- registered yet), and motovault.tenant_id, a tenant named by the X-Tenant-Id header or an issuer's own
-- tenant claim. Both are transaction-local settings the pre-request sets on every request.

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
    select case
        when nullif(current_setting('motovault.user_id', true), '') is not null
            then nullif(current_setting('motovault.user_id', true), 'none')::uuid
        when coalesce(app.jwt_claims() ->> 'iss', 'motovault') <> 'motovault' then null
        else nullif(app.jwt_claims() ->> 'sub', '')::uuid
    end
$$;
comment on function app.current_user_id() is
    'The requesting user: the user app.check_request() mapped an outside identity to, else the JWT sub claim of a motovault token (a UUID), else NULL.';

create or replace function app.current_tenant_id()
returns uuid
language sql
stable
parallel safe
as $$
    select coalesce(
        nullif(current_setting('motovault.tenant_id', true), '')::uuid,
        nullif(app.jwt_claims() ->> 'tenant_id', '')::uuid)
$$;
comment on function app.current_tenant_id() is
    'The active tenant: the one app.check_request() resolved (X-Tenant-Id header, an issuer''s tenant claim), else the JWT tenant_id claim. Inlinable STABLE SQL, so policies comparing tenant_id with it become index conditions evaluated once per scan.';


grant execute on function app.jwt_claims(), app.current_user_id(), app.current_tenant_id() to app_user, vin_worker;

commit;
