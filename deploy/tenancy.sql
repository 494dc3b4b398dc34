-- Deploy motovault:tenancy to pg
-- requires: table_rules
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

commit;
