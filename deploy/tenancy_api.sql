-- Deploy motovault:tenancy_api to pg
-- requires: tenancy
-- requires: audit_log
--
-- The tenancy API: my_tenants, members, audit_log, and the membership RPCs (SECURITY DEFINER: they
-- write memberships, which the API cannot write directly).

begin;

set local lock_timeout = '5s';

create or replace view api.my_tenants
with (security_invoker = true)
as
select
    t.id as tenant_id,
    t.name,
    t.kind,
    m.role,
    m.created_at as member_since
from app.memberships as m
join app.tenants as t on t.id = m.tenant_id
where m.user_id = app.current_user_id()
  and m.deleted_at is null
  and t.deleted_at is null;
comment on view api.my_tenants is
    'The tenants the requesting user belongs to, with their role. Put one tenant_id in the token''s tenant_id claim to act in that tenant.';
grant select on api.my_tenants to app_user;

create or replace view api.members
with (security_invoker = true)
as
select
    m.user_id,
    u.display_name,
    u.email,
    m.role,
    m.created_at as member_since
from app.memberships as m
left join app.users as u on u.id = m.user_id
where m.tenant_id = app.current_tenant_id()
  and m.deleted_at is null;
comment on view api.members is 'Members of the active tenant and their roles. Change them with add_member, change_member_role and remove_member.';
grant select on api.members to app_user;

create or replace view api.audit_log
with (security_invoker = true)
as
select
    id,
    recorded_at,
    table_name,
    operation,
    row_id,
    actor,
    txid,
    old_record,
    new_record
from audit.record_version
where tenant_id = app.current_tenant_id();
comment on view api.audit_log is
    'History of every change in the active tenant (insert, update, soft delete, restore, delete), with the acting user. Owners and admins only; filter by table_name and row_id.';
grant select on api.audit_log to app_user;

create or replace function app.require_member_manager(target_role text)
returns void
language plpgsql
as $$
declare
    caller_role text := app.current_member_role();
begin
    if app.current_tenant_id() is null then
        raise sqlstate 'PT403' using message = 'tenant_id: the token names no active tenant', hint = 'Add a tenant_id claim.';
    end if;
    if caller_role is null or caller_role not in ('owner', 'admin') then
        raise sqlstate 'PT403' using
            message = format('role: only owners and admins manage members (you are %s)', coalesce(caller_role, 'not a member')),
            hint = 'Ask an owner or admin of this tenant.';
    end if;
    if target_role = 'owner' and caller_role <> 'owner' then
        raise sqlstate 'PT403' using message = 'role: only owners grant or take away the owner role';
    end if;
end
$$;
comment on function app.require_member_manager(text) is 'Raises 403 unless the caller may manage members (and owners, when target_role is owner).';

create or replace function app.check_member_role(role text)
returns void
language plpgsql
immutable
as $$
begin
    if role is null or role not in ('owner', 'admin', 'member', 'viewer') then
        raise exception using
            errcode = 'check_violation',
            constraint = 'memberships_role_known',
            message = format('role: must be owner, admin, member or viewer, got %s', coalesce(role, 'null'));
    end if;
end
$$;
comment on function app.check_member_role(text) is 'Raises 400 unless role is owner, admin, member or viewer.';

create or replace function api.create_tenant(name text, kind text default 'household')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    caller uuid := app.current_user_id();
    claims jsonb := app.jwt_claims();
    new_tenant app.tenants;
begin
    if caller is null then
        raise sqlstate 'PT401' using message = 'JWT sub claim: needed to create a tenant';
    end if;
    insert into app.users (id, display_name, email)
    values (caller, nullif(claims ->> 'name', ''), nullif(claims ->> 'email', ''))
    on conflict (id) do nothing;
    insert into app.tenants (name, kind) values (create_tenant.name, create_tenant.kind)
    returning * into new_tenant;
    insert into app.memberships (tenant_id, user_id, role) values (new_tenant.id, caller, 'owner');
    return jsonb_build_object('tenant_id', new_tenant.id, 'name', new_tenant.name, 'kind', new_tenant.kind, 'role', 'owner');
end
$$;
comment on function api.create_tenant(text, text) is
    'Creates a tenant (kind: household, fleet or shop); the caller becomes its owner. Returns the tenant id to put in the token''s tenant_id claim.';

create or replace function api.add_member(user_id uuid, role text default 'member')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    tenant uuid := app.current_tenant_id();
    existing app.memberships;
begin
    perform app.check_member_role(add_member.role);
    perform app.require_member_manager(add_member.role);
    if add_member.user_id is null then
        raise exception using errcode = 'not_null_violation', message = 'user_id: required';
    end if;
    insert into app.users (id) values (add_member.user_id) on conflict (id) do nothing;
    select * into existing from app.memberships as m where m.tenant_id = tenant and m.user_id = add_member.user_id;
    if found and existing.deleted_at is null then
        raise sqlstate 'PT409' using
            message = format('user_id: %s is already a member (%s)', add_member.user_id, existing.role),
            hint = 'Use change_member_role to change the role.';
    elsif found then
        update app.memberships as m set role = add_member.role, deleted_at = null
        where m.tenant_id = tenant and m.user_id = add_member.user_id;
    else
        insert into app.memberships (tenant_id, user_id, role) values (tenant, add_member.user_id, add_member.role);
    end if;
    return jsonb_build_object('tenant_id', tenant, 'user_id', add_member.user_id, 'role', add_member.role);
end
$$;
comment on function api.add_member(uuid, text) is 'Adds a user (by id) to the active tenant with a role (default member). Owners and admins only; only owners add owners.';

create or replace function api.change_member_role(user_id uuid, role text)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    tenant uuid := app.current_tenant_id();
    current_role_of_target text;
begin
    perform app.check_member_role(change_member_role.role);
    select m.role into current_role_of_target
    from app.memberships as m
    where m.tenant_id = tenant and m.user_id = change_member_role.user_id and m.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using message = format('user_id: %s is not a member of this tenant', change_member_role.user_id);
    end if;
    perform app.require_member_manager(case when current_role_of_target = 'owner' then 'owner' else change_member_role.role end);
    update app.memberships as m set role = change_member_role.role
    where m.tenant_id = tenant and m.user_id = change_member_role.user_id;
    return jsonb_build_object('tenant_id', tenant, 'user_id', change_member_role.user_id, 'role', change_member_role.role);
end
$$;
comment on function api.change_member_role(uuid, text) is 'Changes a member''s role. Owners and admins only; only owners touch the owner role; the last owner cannot be demoted.';

create or replace function api.remove_member(user_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    tenant uuid := app.current_tenant_id();
    target_role text;
begin
    select m.role into target_role
    from app.memberships as m
    where m.tenant_id = tenant and m.user_id = remove_member.user_id and m.deleted_at is null;
    if not found then
        raise sqlstate 'PT404' using message = format('user_id: %s is not a member of this tenant', remove_member.user_id);
    end if;
    if remove_member.user_id is distinct from app.current_user_id() then
        perform app.require_member_manager(target_role);
    end if;
    update app.memberships as m set deleted_at = now()
    where m.tenant_id = tenant and m.user_id = remove_member.user_id;
    return jsonb_build_object('tenant_id', tenant, 'user_id', remove_member.user_id, 'removed', true);
end
$$;
comment on function api.remove_member(uuid) is 'Removes a member from the active tenant (anyone may leave; owners and admins remove others). The last owner cannot be removed.';

grant execute on function
    api.create_tenant(text, text),
    api.add_member(uuid, text),
    api.change_member_role(uuid, text),
    api.remove_member(uuid)
    to app_user;

select app.protect_read_only_view('api.my_tenants');
select app.protect_read_only_view('api.members');

commit;
