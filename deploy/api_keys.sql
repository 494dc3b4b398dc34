-- Deploy motovault:api_keys to pg
-- requires: accounts
--
-- API keys for integrations (Home Assistant, scripts): per user and tenant, scope read or write,
-- optional expiry, shown once (`mvk_<prefix>_<secret>`; the prefix identifies it in lists and logs),
-- kept as a SHA-256 hash. A key is never a bearer token itself: api.exchange_api_key trades it for an
-- access token of minutes that names the key (akid) and its scope. app.check_request() refuses a
-- revoked or expired key's tokens on the next request; a read key's tokens act as a viewer
-- (app.current_member_role()), so no policy, trigger or RPC lets them write.

begin;

set local lock_timeout = '5s';

create table auth_private.api_keys (
    id uuid not null default app.uuid_v7(),
    user_id uuid not null,
    tenant_id uuid not null,
    name text not null,
    prefix text not null,
    secret_hash bytea not null,
    scope text not null default 'read',
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    constraint api_keys_pkey primary key (id),
    constraint api_keys_prefix_unique unique (prefix),
    constraint api_keys_name_length check (char_length(btrim(name)) between 1 and 100),
    constraint api_keys_scope_known check (scope in ('read', 'write')),
    constraint api_keys_prefix_format check (prefix ~ '^[a-z0-9]{8}$'),
    constraint api_keys_expires_after_created check (expires_at is null or expires_at > created_at)
);
comment on table auth_private.api_keys is
    'API keys: who, which tenant, scope (read or write), expiry, last exchange, revocation; the secret only as a SHA-256 hash.';
select app.distribute_table('auth_private.api_keys', 'local');
alter table auth_private.api_keys
    add constraint api_keys_user_fk foreign key (user_id) references app.users (id) on delete cascade,
    add constraint api_keys_tenant_fk foreign key (tenant_id) references app.tenants (id) on delete cascade;
create index api_keys_tenant_idx on auth_private.api_keys (tenant_id);
create index api_keys_user_idx on auth_private.api_keys (user_id);

create or replace function app.api_key_is_live(key_id uuid, user_id uuid, tenant_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select from auth_private.api_keys as k
        where k.id = api_key_is_live.key_id
          and k.user_id = api_key_is_live.user_id
          and k.tenant_id = api_key_is_live.tenant_id
          and k.revoked_at is null
          and (k.expires_at is null or k.expires_at > now())
    )
$$;
comment on function app.api_key_is_live(uuid, uuid, uuid) is
    'True when the API key exists for that user and tenant, is not revoked and has not expired (app.check_request, for every request).';
grant execute on function app.api_key_is_live(uuid, uuid, uuid) to app_user;

create or replace function api.create_api_key(name text, scope text default 'read', expires_at timestamptz default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    me constant uuid := app.current_user_id();
    tenant constant uuid := app.current_tenant_id();
    role constant text := app.current_member_role();
    prefix constant text := lower(translate(auth_private.random_token(8), '-_ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'xyabcdefghijklmnopqrstuvwxyz'));
    secret constant text := auth_private.random_token(32);
    key text;
    made auth_private.api_keys;
begin
    if tenant is null or role is null then
        raise sqlstate 'PT403' using
            message = 'tenant_id: an API key belongs to a tenant; the token names none you belong to',
            hint = 'Sign in (or refresh) into the tenant first.';
    end if;
    if create_api_key.scope is null or create_api_key.scope not in ('read', 'write') then
        raise exception using errcode = 'check_violation', constraint = 'api_keys_scope_known', column = 'scope',
            message = format('scope: read or write, got %s', coalesce(create_api_key.scope, 'null'));
    end if;
    if create_api_key.scope = 'write' and not app.current_member_can_write() then
        raise sqlstate 'PT403' using
            message = format('scope: a %s makes read keys only', role),
            hint = 'Owners, admins and members may make write keys.';
    end if;
    if create_api_key.expires_at is not null and create_api_key.expires_at <= now() then
        raise exception using errcode = 'check_violation', constraint = 'api_keys_expires_after_created',
            column = 'expires_at', message = 'expires_at: must be in the future';
    end if;
    if app.jwt_claims() ? 'akid' then
        raise sqlstate 'PT403' using message = 'token: an API key cannot make API keys', hint = 'Sign in as the person.';
    end if;
    key := 'mvk_' || left(prefix, 8) || '_' || secret;
    insert into auth_private.api_keys (user_id, tenant_id, name, prefix, secret_hash, scope, expires_at)
    values (me, tenant, btrim(create_api_key.name), left(prefix, 8), auth_private.token_hash(key),
            create_api_key.scope, create_api_key.expires_at)
    returning * into made;
    perform auth_private.record_event('api_key_created', me, tenant, auth_private.current_session(),
        jsonb_build_object('api_key_id', made.id, 'prefix', made.prefix, 'scope', made.scope));
    return jsonb_build_object('id', made.id, 'key', key, 'prefix', made.prefix, 'name', made.name,
                              'scope', made.scope, 'tenant_id', made.tenant_id, 'expires_at', made.expires_at,
                              'note', 'The key is shown this once; keep it secret.');
end
$$;
comment on function api.create_api_key(text, text, timestamptz) is
    'Makes an API key for you in the active tenant: scope read (default) or write (owners, admins, members), optional expires_at. The key (mvk_<prefix>_<secret>) is shown this once; exchange it for a token with exchange_api_key.';

create or replace function api.api_keys()
returns table (
    id uuid,
    name text,
    prefix text,
    scope text,
    user_id uuid,
    created_at timestamptz,
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
    select k.id, k.name, k.prefix, k.scope, k.user_id, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
    from auth_private.api_keys as k
    where k.tenant_id = app.current_tenant_id()
      and (k.user_id = app.current_user_id() or app.current_member_role() in ('owner', 'admin'))
    order by k.created_at desc
$$;
comment on function api.api_keys() is
    'The API keys of the active tenant: yours, or all of them for owners and admins (never the secret).';

create or replace function api.revoke_api_key(id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    target auth_private.api_keys;
begin
    update auth_private.api_keys as k
    set revoked_at = now()
    where k.id = revoke_api_key.id
      and k.tenant_id = app.current_tenant_id()
      and (k.user_id = app.current_user_id() or app.current_member_role() in ('owner', 'admin'))
      and k.revoked_at is null
    returning * into target;
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no live API key %s you may revoke', revoke_api_key.id),
            hint = 'GET /rpc/api_keys lists them.';
    end if;
    perform auth_private.record_event('api_key_revoked', app.current_user_id(), target.tenant_id, auth_private.current_session(),
        jsonb_build_object('api_key_id', target.id, 'prefix', target.prefix, 'key_user_id', target.user_id));
    return jsonb_build_object('id', target.id, 'revoked', true);
end
$$;
comment on function api.revoke_api_key(uuid) is
    'Revokes an API key (yours, or any of the tenant''s for owners and admins): tokens exchanged for it stop working on their next request.';

create or replace function api.exchange_api_key(key text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    lifetime constant integer := auth_private.setting('access_token_seconds', 900);
    found_key auth_private.api_keys;
begin
    select * into found_key
    from auth_private.api_keys as k
    where k.prefix = substr(coalesce(exchange_api_key.key, ''), 5, 8)
      and k.secret_hash = auth_private.token_hash(coalesce(exchange_api_key.key, ''));
    if not found
       or found_key.revoked_at is not null
       or (found_key.expires_at is not null and found_key.expires_at <= now())
       or not exists (
           select from app.memberships as m
           where m.tenant_id = found_key.tenant_id and m.user_id = found_key.user_id and m.deleted_at is null) then
        return auth_private.fail(401, 'PT401', 'key: unknown, revoked or expired',
                                 'Ask the key''s owner for a new one (POST /rpc/create_api_key).');
    end if;
    update auth_private.api_keys as k set last_used_at = now() where k.id = found_key.id;
    perform auth_private.record_event('api_key_exchanged', found_key.user_id, found_key.tenant_id, null,
        jsonb_build_object('api_key_id', found_key.id, 'prefix', found_key.prefix));
    return jsonb_build_object(
        'access_token', auth_private.access_token(found_key.user_id, found_key.tenant_id,
            jsonb_build_object('akid', found_key.id, 'scope', found_key.scope), lifetime),
        'token_type', 'bearer',
        'expires_in', lifetime,
        'scope', found_key.scope,
        'tenant_id', found_key.tenant_id);
end
$$;
comment on function api.exchange_api_key(text) is
    'Trades an API key for an access token (15 minutes) of its user in its tenant, with its scope (read: no write of any kind). 401 for an unknown, revoked or expired key.';

grant execute on function api.exchange_api_key(text) to anon, app_user;
grant execute on function api.create_api_key(text, text, timestamptz), api.api_keys(), api.revoke_api_key(uuid) to app_user;

commit;
