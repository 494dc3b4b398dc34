-- Deploy motovault:membership_helpers to pg
-- requires: claims
--
-- What the requesting user may do, as policies, triggers and RPCs ask for it. The policies call these
-- functions directly, never through a sub-select (Citus refuses sub-selects in policies on distributed
-- and reference tables), so a policy may call them once per row: app.current_member_role() looks the
-- membership up once per transaction and keeps it in the transaction-local setting
-- motovault.member_role ("<tenant>/<user>=<role>"), which any write to app.memberships clears
-- (app.tg_forget_member_role). PostgREST runs each request in its own transaction.
-- PL/pgSQL, not SQL: a SQL function with a FROM clause is not inlined and is planned again on every
-- call; PL/pgSQL caches its plans per connection.
--
-- Reworked after @v1.0 (API keys): a token with scope read (from a read API key) acts as a viewer,
-- whatever the member's role: every policy, trigger and RPC that asks for the role refuses its writes.

begin;

set local lock_timeout = '5s';

create or replace function app.current_member_role()
returns text
language plpgsql
stable
as $$
declare
    tenant constant uuid := app.current_tenant_id();
    member constant uuid := app.current_user_id();
    key text;
    cached text;
    found_role text;
begin
    if tenant is null or member is null then
        return null;
    end if;
    key := tenant::text || '/' || member::text || '/' || coalesce(app.jwt_claims() ->> 'scope', 'write') || '=';
    cached := current_setting('motovault.member_role', true);
    if cached is not null and starts_with(cached, key) then
        return nullif(substr(cached, length(key) + 1), '');
    end if;
    select m.role into found_role
    from app.memberships as m
    where m.tenant_id = tenant
      and m.user_id = member
      and m.deleted_at is null;
    if found_role is not null and app.jwt_claims() ->> 'scope' = 'read' then
        found_role := 'viewer';  -- a read-only API key
    end if;
    perform set_config('motovault.member_role', key || coalesce(found_role, ''), true);
    return found_role;
end
$$;
comment on function app.current_member_role() is
    'The requesting user''s role in the active tenant, or NULL when not a member; viewer for a token of scope read (a read API key). Looked up once per transaction (motovault.member_role), forgotten when app.memberships changes.';

create or replace function app.current_member_can_write()
returns boolean
language sql
stable
as $$
    select coalesce(app.current_member_role() in ('owner', 'admin', 'member'), false)
$$;
comment on function app.current_member_can_write() is 'True for owners, admins and members of the active tenant; viewers only read.';

create or replace function app.current_user_tenant_ids()
returns uuid[]
language plpgsql
stable
as $$
begin
    return array(
        select m.tenant_id
        from app.memberships as m
        where m.user_id = app.current_user_id()
          and m.deleted_at is null
    );
end
$$;
comment on function app.current_user_tenant_ids() is
    'The tenants the requesting user belongs to (policy tenants_members_read: a user reads the tenants listed in my_tenants).';

create or replace function app.current_tenant_member_ids()
returns uuid[]
language plpgsql
stable
as $$
begin
    return array(
        select m.user_id
        from app.memberships as m
        where m.tenant_id = app.current_tenant_id()
          and m.deleted_at is null
    );
end
$$;
comment on function app.current_tenant_member_ids() is
    'The members of the active tenant (policy users_self_and_comembers_read: members see each other''s names).';

create or replace function app.tg_forget_member_role()
returns trigger
language plpgsql
as $$
begin
    perform set_config('motovault.member_role', '', true);
    return null;
end
$$;
comment on function app.tg_forget_member_role() is
    'AFTER trigger of app.memberships (_100_forget_member_role): a membership changed, so the role app.current_member_role() keeps for this transaction is looked up again.';

grant execute on function
    app.current_member_role(), app.current_member_can_write(),
    app.current_user_tenant_ids(), app.current_tenant_member_ids()
    to app_user, vin_worker;

commit;
