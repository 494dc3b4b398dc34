-- Deploy motovault:auth_events to pg
-- requires: auth_private
-- requires: tenancy
--
-- audit.auth_events: what happened to accounts, sessions, API keys and invitations (who, when, from
-- which session, in which tenant). Append-only like the change log: written by the SECURITY DEFINER
-- auth functions, read through api.auth_events by the user it concerns and, for events of a tenant,
-- by that tenant's owners and admins.

begin;

set local lock_timeout = '5s';

create table audit.auth_events (
    id bigint generated always as identity,
    event text not null,
    user_id uuid,
    tenant_id uuid,
    session_id uuid,
    detail jsonb not null default '{}',
    occurred_at timestamptz not null default clock_timestamp(),
    constraint auth_events_pkey primary key (id),
    constraint auth_events_event_known check (event in (
        'sign_up', 'sign_in', 'sign_in_failed', 'sign_in_throttled', 'refresh', 'refresh_token_reused', 'sign_out',
        'session_revoked', 'password_changed', 'password_reset_requested', 'password_reset', 'identity_registered',
        'api_key_created', 'api_key_revoked', 'api_key_exchanged', 'invitation_created', 'invitation_revoked',
        'invitation_accepted')),
    constraint auth_events_detail_object check (jsonb_typeof(detail) = 'object')
);
comment on table audit.auth_events is
    'Account, session, API key and invitation events: who (user_id; NULL for a failed sign-in of an unknown email), the tenant it concerns, the session, what (event, detail) and when. Append-only.';
select app.distribute_table('audit.auth_events', 'local');

create index auth_events_user_time_idx on audit.auth_events (user_id, occurred_at);
create index auth_events_tenant_time_idx on audit.auth_events (tenant_id, occurred_at) where tenant_id is not null;

alter table audit.auth_events enable row level security;
create policy auth_events_self_and_tenant_managers_read on audit.auth_events
    for select to app_user
    using (
        user_id = app.current_user_id()
        or (tenant_id = app.current_tenant_id() and app.current_member_role() in ('owner', 'admin'))
    );
grant select on audit.auth_events to app_user;

create or replace function auth_private.record_event(
    event text,
    user_id uuid,
    tenant_id uuid default null,
    session_id uuid default null,
    detail jsonb default '{}'
)
returns void
language sql
security definer
set search_path = ''
as $$
    insert into audit.auth_events (event, user_id, tenant_id, session_id, detail)
    values (record_event.event, record_event.user_id, record_event.tenant_id, record_event.session_id,
            coalesce(record_event.detail, '{}'));
$$;
comment on function auth_private.record_event(text, uuid, uuid, uuid, jsonb) is 'Appends an event to audit.auth_events.';

create or replace view api.auth_events
with (security_invoker = true)
as
select id, occurred_at, event, user_id, tenant_id, session_id, detail
from audit.auth_events;
comment on view api.auth_events is
    'Sign-ins (and failed ones), sessions, password changes, API keys and invitations: your own events, and the events of the active tenant when you are one of its owners or admins. Read only.';
grant select on api.auth_events to app_user;

commit;
