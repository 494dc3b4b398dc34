-- Deploy motovault:tenancy to pg
-- requires: table_rules
--
-- Tenants, users and memberships; the membership helpers the policies use;
-- the PostgREST pre-request check; membership RPCs; my_tenants, members and
-- audit_log in the API.

begin;

create table app.tenants (
    id uuid not null default gen_random_uuid(),
    name text not null,
    kind text not null default 'household',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint tenants_pkey primary key (id),
    constraint tenants_name_not_blank check (char_length(btrim(name)) between 1 and 100),
    constraint tenants_kind_known check (kind in ('household', 'fleet', 'shop'))
);
comment on table app.tenants is 'A household, a fleet or a shop: the unit of isolation. Every user-data row belongs to one.';

create table app.users (
    id uuid not null,
    display_name text,
    email text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint users_pkey primary key (id),
    constraint users_display_name_length check (display_name is null or char_length(display_name) between 1 and 100),
    constraint users_email_format check (email is null or email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$')
);
comment on table app.users is 'People: id is the JWT sub claim. Shared by all tenants (a user may belong to several).';
create unique index users_email_unique_ci on app.users (lower(email)) where email is not null and deleted_at is null;

create table app.memberships (
    tenant_id uuid not null,
    user_id uuid not null,
    id uuid not null default gen_random_uuid(),
    role text not null default 'member',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint memberships_pkey primary key (tenant_id, user_id),
    constraint memberships_id_unique unique (tenant_id, id),
    constraint memberships_role_known check (role in ('owner', 'admin', 'member', 'viewer')),
    constraint memberships_tenant_fk foreign key (tenant_id) references app.tenants (id) on delete cascade,
    constraint memberships_user_fk foreign key (user_id) references app.users (id) on delete cascade
);
comment on table app.memberships is 'Who belongs to which tenant, with which role: owner, admin, member (write) or viewer (read only).';
create index memberships_user_id_idx on app.memberships (user_id);

-- helpers the policies use ------------------------------------------------------------------------

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

-- rules on the tenancy tables ---------------------------------------------------------------------

select app.enable_tenant_rules('app.memberships', api_writes => false, extra_read => 'user_id = app.current_user_id()');

alter table app.tenants enable row level security;
alter table app.tenants force row level security;
create policy tenants_members_read on app.tenants
    for select to app_user
    using (
        id = app.current_tenant_id()
        or id in (select m.tenant_id from app.memberships as m where m.user_id = app.current_user_id() and m.deleted_at is null)
    );
create policy tenants_owners_update on app.tenants
    for update to app_user
    using (id = app.current_tenant_id() and (select app.current_member_role()) = 'owner')
    with check (id = app.current_tenant_id());
create policy tenants_owner_role_all on app.tenants
    for all to motovault_owner using (true) with check (true);
create trigger tenants_stamp before insert or update on app.tenants
    for each row execute function app.stamp_row('shared');
create trigger tenants_audit after insert or update or delete on app.tenants
    for each row execute function app.audit_row();
grant select, update (name, kind) on app.tenants to app_user;

alter table app.users enable row level security;
alter table app.users force row level security;
create policy users_self_and_comembers_read on app.users
    for select to app_user
    using (
        id = app.current_user_id()
        or id in (select m.user_id from app.memberships as m where m.tenant_id = app.current_tenant_id() and m.deleted_at is null)
    );
create policy users_self_update on app.users
    for update to app_user
    using (id = app.current_user_id())
    with check (id = app.current_user_id());
create policy users_owner_role_all on app.users
    for all to motovault_owner using (true) with check (true);
create trigger users_stamp before insert or update on app.users
    for each row execute function app.stamp_row('shared');
create trigger users_audit after insert or update or delete on app.users
    for each row execute function app.audit_row();
grant select, update (display_name, email) on app.users to app_user;

-- a tenant always keeps an owner
create function app.keep_an_owner()
returns trigger
language plpgsql
as $$
begin
    if old.role = 'owner'
       and old.deleted_at is null
       and (tg_op = 'DELETE' or new.role <> 'owner' or new.deleted_at is not null) then
        perform from app.tenants where id = old.tenant_id for update;
        if not exists (
            select
            from app.memberships
            where tenant_id = old.tenant_id
              and user_id <> old.user_id
              and role = 'owner'
              and deleted_at is null
        ) then
            raise exception using
                errcode = 'check_violation',
                constraint = 'memberships_tenant_keeps_an_owner',
                message = 'role: the last owner of a tenant cannot be removed or demoted',
                hint = 'Make another member owner first.';
        end if;
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end
$$;
comment on function app.keep_an_owner() is 'BEFORE UPDATE OR DELETE trigger on memberships: refuses to remove or demote the last owner.';
create trigger memberships_keep_an_owner before update or delete on app.memberships
    for each row execute function app.keep_an_owner();

-- the PostgREST pre-request check -----------------------------------------------------------------

create function app.check_request()
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
grant usage on schema app to anon;
grant execute on function app.check_request() to anon, app_user;
grant execute on function
    app.jwt_claims(), app.current_user_id(), app.current_tenant_id(),
    app.current_member_role(), app.current_member_can_write()
    to app_user;

-- API ---------------------------------------------------------------------------------------------

create view api.my_tenants
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

create view api.members
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

create view api.audit_log
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
grant usage on schema audit to app_user;
grant select on audit.record_version to app_user;
grant select on api.audit_log to app_user;
create policy record_version_owners_admins_read on audit.record_version
    for select to app_user
    using (tenant_id = app.current_tenant_id() and (select app.current_member_role()) in ('owner', 'admin'));

-- membership RPCs (SECURITY DEFINER: they write memberships the API cannot write directly) --------

create function app.require_member_manager(target_role text)
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

create function app.check_member_role(role text)
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

create function api.create_tenant(name text, kind text default 'household')
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

create function api.add_member(user_id uuid, role text default 'member')
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

create function api.change_member_role(user_id uuid, role text)
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

create function api.remove_member(user_id uuid)
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

commit;
