-- Deploy motovault:membership_helpers to pg
-- requires: claims
--
-- The requesting user's role in the active tenant, as the policies, the stamp trigger and the RPCs ask
-- for it. PL/pgSQL (its plan is cached per connection) reading app.memberships, which the tenancy
-- change creates next.

begin;

set local lock_timeout = '5s';

-- PL/pgSQL, not SQL: a SQL function with a FROM clause cannot be inlined and would be planned
-- again on every call; PL/pgSQL caches the plan per connection (measured: 1.8 ms -> 0.45 ms for
-- the pre-request check, bench/api_bench.py).
create function app.current_member_role()
returns text
language plpgsql
stable
as $$
begin
    return (
        select m.role
        from app.memberships as m
        where m.tenant_id = app.current_tenant_id()
          and m.user_id = app.current_user_id()
          and m.deleted_at is null
    );
end
$$;
comment on function app.current_member_role() is 'The requesting user''s role in the active tenant, or NULL when not a member.';

create function app.current_member_can_write()
returns boolean
language sql
stable
as $$
    select coalesce(app.current_member_role() in ('owner', 'admin', 'member'), false)
$$;
comment on function app.current_member_can_write() is 'True for owners, admins and members of the active tenant; viewers only read.';

grant execute on function app.current_member_role(), app.current_member_can_write() to app_user, vin_worker;

commit;
