-- Deploy motovault:invitations to pg
-- requires: accounts
-- requires: tenancy_api
--
-- Inviting someone by email into a tenant with a role. An owner or admin invites
-- (api.invite_member): the invitation is a row of the tenant (app.invitations, listed by
-- api.invitations, revoked by DELETE), and a single-use token valid until the invitation expires goes
-- to the invitee's address (auth_private.mail_outbox). The invitee signs up or in and accepts with the
-- token (api.accept_invitation): a membership with the invited role. An expired, revoked or accepted
-- invitation's token does nothing.

begin;

set local lock_timeout = '5s';

create table app.invitations (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    email text not null,
    role text not null default 'member',
    expires_at timestamptz not null,
    accepted_at timestamptz,
    accepted_by uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint invitations_pkey primary key (tenant_id, id),
    constraint invitations_email_format check (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' and char_length(email) <= 254),
    constraint invitations_role_known check (role in ('owner', 'admin', 'member', 'viewer')),
    constraint invitations_accepted_by_whom check ((accepted_at is null) = (accepted_by is null))
);
comment on table app.invitations is
    'Invitations into a tenant by email with a role: pending until accepted (accepted_at), revoked (deleted_at) or expired (expires_at).';
select app.distribute_table('app.invitations', 'tenant');
alter table app.invitations
    add constraint invitations_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create unique index invitations_one_pending_per_email on app.invitations (tenant_id, lower(email))
    where accepted_at is null and deleted_at is null;

select app.enable_tenant_rules('app.invitations');

create or replace view api.invitations
with (security_invoker = true)
as
select tenant_id, id, email, role, expires_at, created_at, created_by
from app.invitations
where deleted_at is null
  and accepted_at is null
  and app.current_member_role() in ('owner', 'admin');
comment on view api.invitations is
    'Pending invitations of the active tenant (owners and admins; expired ones too, with their expires_at). Invite with rpc/invite_member; DELETE revokes one (invitations_trash lists revoked ones).';
comment on column api.invitations.expires_at is 'After this the token does nothing; invite again.';
select app.create_trash_api('api.invitations', 'invitation', 'invitations', 'its token works again until it expires');
grant select on api.invitations to app_user;

create or replace function api.invite_member(email text, role text default 'member', valid_days integer default 7)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    address constant text := auth_private.normalize_email(invite_member.email);
    tenant constant uuid := app.current_tenant_id();
    token constant text := auth_private.random_token(32);
    made app.invitations;
begin
    perform app.check_member_role(invite_member.role);
    perform app.require_member_manager(invite_member.role);
    if valid_days is null or valid_days not between 1 and 30 then
        raise exception using errcode = 'check_violation', constraint = 'invitations_valid_days_range',
            column = 'valid_days', message = format('valid_days: 1 to 30, got %s', coalesce(valid_days::text, 'null'));
    end if;
    if exists (
        select from app.memberships as m
        join app.users as u on u.id = m.user_id
        where m.tenant_id = tenant and m.deleted_at is null and lower(u.email) = address
    ) then
        raise sqlstate 'PT409' using
            message = format('email: %s is already a member of this tenant', address),
            hint = 'Change a member''s role with rpc/change_member_role.';
    end if;
    -- a new invitation replaces a pending one for the same address
    update app.invitations as i
    set deleted_at = now()
    where i.tenant_id = tenant and lower(i.email) = address and i.accepted_at is null and i.deleted_at is null;
    insert into app.invitations (tenant_id, email, role, expires_at)
    values (tenant, address, invite_member.role, now() + make_interval(days => valid_days))
    returning * into made;
    insert into auth_private.one_time_tokens (token_hash, purpose, invitation_tenant_id, invitation_id, expires_at)
    values (auth_private.token_hash(token), 'invitation', made.tenant_id, made.id, made.expires_at);
    insert into auth_private.mail_outbox (kind, recipient, payload)
    values ('invitation', address, jsonb_build_object(
        'token', token, 'tenant_id', made.tenant_id,
        'tenant_name', (select t.name from app.tenants as t where t.id = made.tenant_id),
        'role', made.role, 'expires_at', made.expires_at));
    perform auth_private.record_event('invitation_created', app.current_user_id(), tenant, auth_private.current_session(),
        jsonb_build_object('invitation_id', made.id, 'email', address, 'role', made.role));
    return jsonb_build_object('id', made.id, 'tenant_id', made.tenant_id, 'email', made.email, 'role', made.role,
                              'expires_at', made.expires_at);
end
$$;
comment on function api.invite_member(text, text, integer) is
    'Invites an email address into the active tenant with a role (default member; only owners invite owners). Owners and admins only. The invitee gets a single-use token by mail, valid for valid_days (default 7, at most 30), and accepts with rpc/accept_invitation.';

create or replace function api.accept_invitation(token text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    me constant uuid := app.current_user_id();
    ticket auth_private.one_time_tokens;
    invitation app.invitations;
begin
    if me is null then
        raise sqlstate 'PT401' using message = 'token: sign up or in first, then accept';
    end if;
    select * into ticket
    from auth_private.one_time_tokens as t
    where t.token_hash = auth_private.token_hash(coalesce(accept_invitation.token, ''))
      and t.purpose = 'invitation'
    for update;
    if found then
        select * into invitation
        from app.invitations as i
        where i.tenant_id = ticket.invitation_tenant_id and i.id = ticket.invitation_id
        for update;
    end if;
    if ticket.token_hash is null or ticket.used_at is not null or invitation.id is null
       or invitation.deleted_at is not null or invitation.accepted_at is not null or invitation.expires_at <= now() then
        raise exception using
            errcode = 'check_violation',
            constraint = 'one_time_tokens_single_use',
            column = 'token',
            message = 'token: unknown, used, revoked or expired invitation',
            hint = 'Ask an owner or admin of the tenant to invite you again.';
    end if;
    if exists (
        select from app.memberships as m
        where m.tenant_id = invitation.tenant_id and m.user_id = me and m.deleted_at is null
    ) then
        raise sqlstate 'PT409' using message = 'token: you are already a member of this tenant';
    end if;
    insert into app.users (id) values (me) on conflict (id) do nothing;
    insert into app.memberships as m (tenant_id, user_id, role)
    values (invitation.tenant_id, me, invitation.role)
    on conflict (tenant_id, user_id) do update set role = excluded.role, deleted_at = null;
    update auth_private.one_time_tokens as t set used_at = now() where t.token_hash = ticket.token_hash;
    update app.invitations as i
    set accepted_at = now(), accepted_by = me
    where i.tenant_id = invitation.tenant_id and i.id = invitation.id;
    perform auth_private.record_event('invitation_accepted', me, invitation.tenant_id, auth_private.current_session(),
        jsonb_build_object('invitation_id', invitation.id, 'role', invitation.role));
    return jsonb_build_object('tenant_id', invitation.tenant_id, 'role', invitation.role, 'accepted', true,
                              'next', 'refresh with this tenant_id to act in it');
end
$$;
comment on function api.accept_invitation(text) is
    'Accepts an invitation with its token (signed in as anyone: the token is the proof): you become a member of its tenant with its role. The token works once; revoked and expired invitations do nothing.';

create or replace function app.tg_invitation_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    if old.deleted_at is null and new.deleted_at is not null and new.accepted_at is null then
        perform auth_private.record_event('invitation_revoked', app.current_user_id(), new.tenant_id,
            auth_private.current_session(), jsonb_build_object('invitation_id', new.id, 'email', new.email));
    end if;
    return null;
end
$$;
comment on function app.tg_invitation_events() is
    'AFTER UPDATE trigger of app.invitations (_500_events): a revoked invitation is an event of audit.auth_events.';
create trigger _500_events after update of deleted_at on app.invitations
    for each row execute function app.tg_invitation_events();

grant execute on function api.invite_member(text, text, integer), api.accept_invitation(text) to app_user;

commit;
