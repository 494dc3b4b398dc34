-- Deploy motovault:tenancy to pg
-- requires: table_rules
-- requires: distribution
--
-- Tenants (households, fleets, shops), users (the JWT sub) and memberships with a role (owner, admin,
-- member, viewer); a tenant always keeps an owner.

begin;

set local lock_timeout = '5s';

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
select app.distribute_table('app.tenants', 'reference');

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
select app.distribute_table('app.users', 'reference');
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
    constraint memberships_role_known check (role in ('owner', 'admin', 'member', 'viewer'))
);
comment on table app.memberships is 'Who belongs to which tenant, with which role: owner, admin, member (write) or viewer (read only).';
select app.distribute_table('app.memberships', 'tenant');
alter table app.memberships
    add constraint memberships_tenant_fk foreign key (tenant_id) references app.tenants (id) on delete cascade,
    add constraint memberships_user_fk foreign key (user_id) references app.users (id) on delete cascade;
create index memberships_user_id_idx on app.memberships (user_id);

select app.enable_tenant_rules('app.memberships', api_writes => false, extra_read => 'user_id = app.current_user_id()');
create trigger _100_forget_member_role after insert or update or delete on app.memberships
    for each statement execute function app.tg_forget_member_role();

-- the tenant itself: its changes are logged under its own id
select app.enable_shared_rules('app.tenants', audit_tenant_column => 'id');
create policy tenants_members_read on app.tenants
    for select to app_user
    using (id = app.current_tenant_id() or id = any (app.current_user_tenant_ids()));
create policy tenants_owners_update on app.tenants
    for update to app_user
    using (id = app.current_tenant_id() and app.current_member_role() = 'owner')
    with check (id = app.current_tenant_id());
grant select, update (name, kind) on app.tenants to app_user;

select app.enable_shared_rules('app.users');
create policy users_self_and_comembers_read on app.users
    for select to app_user
    using (id = app.current_user_id() or id = any (app.current_tenant_member_ids()));
create policy users_self_update on app.users
    for update to app_user
    using (id = app.current_user_id())
    with check (id = app.current_user_id());
grant select, update (display_name, email) on app.users to app_user;

-- a tenant always keeps an owner
create or replace function app.tg_keep_an_owner()
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
comment on function app.tg_keep_an_owner() is 'BEFORE UPDATE OR DELETE trigger on memberships: refuses to remove or demote the last owner.';
create trigger _300_keep_an_owner before update or delete on app.memberships
    for each row execute function app.tg_keep_an_owner();

commit;
