-- Deploy motovault:membership_helpers to pg
-- requires: claims
--
-- What the requesting user may do, as policies, triggers and RPCs ask for it. The policies call these
-- functions directly, never through a sub-select (Citus refuses sub-selects in policies on distributed
-- and reference tables), so a policy may call them once per row: app.current_member_role() looks the
-- membership up once per transaction and keeps it in the transaction-local setting
-- motovault.member_role ("<tenant setting>/<user setting>/<claims>=<role>"), which any write to app.memberships clears
-- (app.tg_forget_member_role). PostgREST runs each request in its own transaction.
-- PL/pgSQL, not SQL: a SQL function with a FROM clause is not inlined and is planned again on every
-- call; PL/pgSQL caches its plans per connection.
--
-- Reworked after @v1.0 (API keys): a token with scope read (from a read API key) acts as a viewer,
-- whatever the member's role: every policy, trigger and RPC that asks for the role refuses its writes.
--
-- Reworked after @v1.3 (bulk writes, docs/bulk.md): the role kept for the transaction is keyed by the
-- settings the tenant, the user and the scope are read from, as text (motovault.tenant_id,
-- motovault.user_id and the claims as PostgREST set them in request.jwt.claims), not by the tenant, user
-- and scope they give, so a call that finds it parses no JSON: the claims were parsed four times per
-- call, twice per row of a bulk INSERT (the stamp's writer check, the insert policy), ~5% of the time
-- of a bulk load. A change of any of them misses the key and looks the role up again.

begin;

set local lock_timeout = '5s';

create or replace function app.current_member_role()
returns text
language plpgsql
stable
as $$
declare
    -- what app.current_tenant_id() and app.current_user_id() are made of, as text: the key of the role kept
    key constant text := coalesce(current_setting('motovault.tenant_id', true), '') || '/'
        || coalesce(current_setting('motovault.user_id', true), '') || '/'
        || coalesce(current_setting('request.jwt.claims', true), '') || '=';
    cached constant text := current_setting('motovault.member_role', true);
    tenant uuid;
    member uuid;
    found_role text;
begin
    if cached is not null and starts_with(cached, key) then
        return nullif(substr(cached, length(key) + 1), '');
    end if;
    tenant := app.current_tenant_id();
    member := app.current_user_id();
    if tenant is null or member is null then
        return null;
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
    'The requesting user''s role in the active tenant, or NULL when not a member; viewer for a token of scope read (a read API key). Looked up once per transaction and kept in motovault.member_role under the text of the settings it depends on (motovault.tenant_id, motovault.user_id, request.jwt.claims: a call that finds it parses no JSON), forgotten when app.memberships changes.';

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
