-- Deploy motovault:notify_subscriptions to pg
-- requires: outbox
-- requires: auth_private
--
-- Subscriptions: per tenant, owners and admins say which events (types or prefixes like reminder.*,
-- optionally only some vehicles) go to which channel: a webhook (signed the Standard Webhooks way),
-- an email address (SMTP) or a push service (an Apprise URL: ntfy, Gotify, Pushover, Telegram ...).
--   api.create_subscription(...)          returns the webhook signing secret once (whsec_...)
--   api.rotate_subscription_secret(id)    a new secret; the old one still signs for grace_hours
--   api.notify_subscriptions              list; PATCH name, event_types, vehicle_ids, active;
--                                         DELETE (trash, restore)
-- The target (URL or address) and the signing secrets are write-only: they live in auth_private;
-- the view shows target_hint (no credentials, query or push tokens).
-- Webhook and push targets at loopback, private, link-local or metadata addresses are refused
-- (app.notify_target_refused) unless the operator allows the host in motovault.notify_allowed_hosts;
-- the worker checks the resolved addresses again at every send (motovault.notify.guard).

begin;

set local lock_timeout = '5s';

create or replace function app.notify_event_types_known(types text[])
returns boolean
language sql
immutable
parallel safe
return cardinality(types) between 1 and 100
    and not exists (
        select
        from unnest(types) as t(type)
        where t.type is null
           or not exists (
               select
               from app.notify_event_types() as k
               where k.type = t.type
                  or (t.type like '%.*' and starts_with(k.type, left(t.type, -1)))
                  or t.type = '*'
           )
    );
comment on function app.notify_event_types_known(text[]) is
    'True when every element is a known event type (api.notify_event_types), a prefix of one ending in .* (reminder.*) or *; 1 to 100 of them.';

create or replace function app.notify_wants(types text[], type text)
returns boolean
language sql
immutable
parallel safe
return exists (
    select
    from unnest(types) as t(want)
    where t.want = notify_wants.type
       or t.want = '*'
       or (t.want like '%.*' and starts_with(notify_wants.type, left(t.want, -1)))
);
comment on function app.notify_wants(text[], text) is 'True when a subscription''s event_types ask for the type (exactly, by a prefix like reminder.*, or *).';

create or replace function app.notify_target_refused(url text)
returns text
language plpgsql
stable
as $$
declare
    host text := lower(substring(url from '^[a-z][a-z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)'));
    allowed constant text[] := string_to_array(
        replace(coalesce(current_setting('motovault.notify_allowed_hosts', true), ''), ' ', ''), ',');
    address inet;
begin
    if host is null or host = '' then
        return 'has no host';
    end if;
    host := btrim(host, '[]');
    if host = any (allowed) then
        return null;
    end if;
    if host = 'localhost' or host like '%.localhost' or host like '%.internal' or host like '%.local'
       or host in ('metadata', 'metadata.google.internal', 'instance-data') then
        return format('host %s is local or a metadata service', host);
    end if;
    if host ~ '^[0-9]{1,3}(\.[0-9]{1,3}){3}$' or host ~ ':' then
        begin
            address := host::inet;
        exception when others then
            return format('host %s is not an address', host);
        end;
        if address <<= any (array[
            '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
            '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3',
            '::/128', '::1/128', '::ffff:0:0/96', 'fc00::/7', 'fe80::/10', 'ff00::/8']::inet[]) then
            return format('address %s is loopback, private, link-local or reserved', host);
        end if;
    end if;
    return null;
end
$$;
comment on function app.notify_target_refused(text) is
    'Why a webhook or push URL may not be used (loopback, private, link-local, reserved or metadata host, literal or by name), or NULL. Hosts listed in the setting motovault.notify_allowed_hosts (comma-separated, e.g. 127.0.0.1) are allowed. Names are resolved and checked again by the worker at every send.';

create table app.notify_subscriptions (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default gen_random_uuid(),
    name text not null,
    channel text not null,
    target_hint text not null,
    event_types text[] not null default '{reminder.*}',
    vehicle_ids uuid[],
    active boolean not null default true,
    flagged_at timestamptz,
    flag_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint notify_subscriptions_pkey primary key (tenant_id, id),
    constraint notify_subscriptions_name_not_blank check (char_length(btrim(name)) between 1 and 100),
    constraint notify_subscriptions_channel_known check (channel in ('webhook', 'email', 'push')),
    constraint notify_subscriptions_event_types_known check (app.notify_event_types_known(event_types)),
    constraint notify_subscriptions_vehicle_ids_length check (cardinality(vehicle_ids) between 1 and 1000),
    constraint notify_subscriptions_flag_reason_with_flag check ((flagged_at is null) = (flag_reason is null))
);
comment on table app.notify_subscriptions is
    'Where a tenant''s events go: a channel (webhook, email, push), the event types (or prefixes) and optionally vehicles it wants, active or paused. Flagged when a delivery was dead-lettered. The target and secrets are in auth_private.';
comment on column app.notify_subscriptions.target_hint is 'What the target is, without credentials: the webhook URL without query, the email address, the push service scheme.';
select app.distribute_table('app.notify_subscriptions', 'tenant');
alter table app.notify_subscriptions
    add constraint notify_subscriptions_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade;
create unique index notify_subscriptions_name_unique_live on app.notify_subscriptions (tenant_id, lower(btrim(name)))
    where deleted_at is null;

select app.enable_tenant_rules('app.notify_subscriptions');
-- owners and admins only, whatever the command
create policy notify_subscriptions_managers_only on app.notify_subscriptions as restrictive for all to app_user
    using (app.current_member_role() in ('owner', 'admin'))
    with check (app.current_member_role() in ('owner', 'admin'));
-- created by api.create_subscription; only these columns change through the view
revoke insert, update on app.notify_subscriptions from app_user;
grant update (name, event_types, vehicle_ids, active, deleted_at) on app.notify_subscriptions to app_user;

create or replace function app.tg_notify_subscriptions_prepare()
returns trigger
language plpgsql
as $$
begin
    new.name := btrim(new.name);
    if new.active and not old.active then
        new.flagged_at := null;  -- resuming a subscription clears its flag
        new.flag_reason := null;
    end if;
    return new;
end
$$;
comment on function app.tg_notify_subscriptions_prepare() is
    'BEFORE UPDATE on notify_subscriptions: trims the name; resuming a paused subscription (active false -> true) clears its flag.';
create trigger _200_prepare before update on app.notify_subscriptions
    for each row execute function app.tg_notify_subscriptions_prepare();

create table auth_private.notify_targets (
    tenant_id uuid not null,
    subscription_id uuid not null,
    target text not null,
    created_at timestamptz not null default now(),
    constraint notify_targets_pkey primary key (tenant_id, subscription_id),
    constraint notify_targets_target_length check (char_length(target) between 3 and 2000)
);
comment on table auth_private.notify_targets is
    'The write-only target of a subscription: webhook URL, email address or Apprise URL (which may carry a push token).';
select app.distribute_table('auth_private.notify_targets', 'tenant');
alter table auth_private.notify_targets
    add constraint notify_targets_subscription_fk foreign key (tenant_id, subscription_id)
        references app.notify_subscriptions (tenant_id, id) on delete cascade;

create table auth_private.notify_signing_secrets (
    tenant_id uuid not null,
    subscription_id uuid not null,
    id uuid not null default gen_random_uuid(),
    secret text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    constraint notify_signing_secrets_pkey primary key (tenant_id, subscription_id, id),
    constraint notify_signing_secrets_secret_format check (secret ~ '^whsec_[A-Za-z0-9+/=]{32,}$')
);
comment on table auth_private.notify_signing_secrets is
    'Standard Webhooks signing secrets of a webhook subscription (whsec_ + base64). After a rotation the old one signs too until expires_at, so receivers can switch without losing a message.';
select app.distribute_table('auth_private.notify_signing_secrets', 'tenant');
alter table auth_private.notify_signing_secrets
    add constraint notify_signing_secrets_subscription_fk foreign key (tenant_id, subscription_id)
        references app.notify_subscriptions (tenant_id, id) on delete cascade;

create or replace function app.require_notify_manager()
returns void
language plpgsql
stable
as $$
begin
    if coalesce(app.current_member_role(), '') not in ('owner', 'admin') then
        raise sqlstate 'PT403' using
            message = 'role: only owners and admins of the tenant manage notifications',
            hint = 'Ask an owner or admin of the tenant.';
    end if;
end
$$;
comment on function app.require_notify_manager() is 'Refuses (403) unless the requesting user is an owner or admin of the active tenant.';

create or replace function app.new_webhook_secret()
returns text
language sql
volatile
return 'whsec_' || encode(ext.gen_random_bytes(24), 'base64');
comment on function app.new_webhook_secret() is 'A Standard Webhooks signing secret: whsec_ and 24 random bytes in base64.';

create or replace function api.create_subscription(
    name text,
    channel text,
    target text,
    event_types text[] default '{reminder.*}',
    vehicle_ids uuid[] default null,
    active boolean default true
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    tenant constant uuid := app.current_tenant_id();
    clean constant text := btrim(create_subscription.target);
    refused text;
    hint text;
    secret text;
    made app.notify_subscriptions;
begin
    perform app.require_notify_manager();
    if channel is null or channel not in ('webhook', 'email', 'push') then
        raise exception using errcode = 'check_violation', constraint = 'notify_subscriptions_channel_known',
            column = 'channel', message = format('channel: webhook, email or push, got %s', coalesce(channel, 'null'));
    end if;
    if clean is null or char_length(clean) not between 3 and 2000 then
        raise exception using errcode = 'check_violation', constraint = 'notify_targets_target_length',
            column = 'target', message = 'target: 3 to 2000 characters';
    end if;
    if channel = 'webhook' then
        if clean !~* '^https?://[^\s]+$' then
            raise exception using errcode = 'check_violation', constraint = 'notify_subscriptions_target_url',
                column = 'target', message = 'target: a webhook target is an http(s) URL',
                hint = 'e.g. https://example.com/hooks/motovault';
        end if;
        hint := substring(clean from '^[^?#]*');
        hint := regexp_replace(hint, '^([a-z]+://)[^@/]*@', '\1', 'i');
    elsif channel = 'email' then
        if clean !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' or char_length(clean) > 254 then
            raise exception using errcode = 'check_violation', constraint = 'notify_subscriptions_target_email',
                column = 'target', message = 'target: an email target is an address (name@example.com)';
        end if;
        hint := lower(clean);
    else
        if clean !~* '^[a-z][a-z0-9+.-]*://.+$' then
            raise exception using errcode = 'check_violation', constraint = 'notify_subscriptions_target_url',
                column = 'target', message = 'target: a push target is an Apprise URL (ntfy://host/topic, gotify://..., tgram://...)',
                hint = 'See the Apprise URL of your service; it is never shown again.';
        end if;
        hint := lower(substring(clean from '^[a-z][a-z0-9+.-]*')) || '://…';
    end if;
    if channel in ('webhook', 'push') then
        refused := app.notify_target_refused(clean);
        if refused is not null then
            raise exception using errcode = 'check_violation', constraint = 'notify_subscriptions_target_public',
                column = 'target', message = format('target: %s', refused),
                hint = 'Targets must be public hosts; an operator may allow a host in motovault.notify_allowed_hosts.';
        end if;
    end if;
    insert into app.notify_subscriptions (tenant_id, name, channel, target_hint, event_types, vehicle_ids, active)
    values (tenant, create_subscription.name, channel, hint, coalesce(create_subscription.event_types, '{reminder.*}'),
            create_subscription.vehicle_ids, coalesce(create_subscription.active, true))
    returning * into made;
    insert into auth_private.notify_targets (tenant_id, subscription_id, target)
    values (made.tenant_id, made.id, case when channel = 'email' then lower(clean) else clean end);
    if channel = 'webhook' then
        secret := app.new_webhook_secret();
        insert into auth_private.notify_signing_secrets (tenant_id, subscription_id, secret)
        values (made.tenant_id, made.id, secret);
    end if;
    return jsonb_build_object(
        'id', made.id, 'name', made.name, 'channel', made.channel, 'target_hint', made.target_hint,
        'event_types', made.event_types, 'vehicle_ids', made.vehicle_ids, 'active', made.active)
        || case when secret is null then '{}'::jsonb else jsonb_build_object('secret', secret) end;
end
$$;
comment on function api.create_subscription(text, text, text, text[], uuid[], boolean) is
    'Owners and admins: a subscription of the active tenant. channel webhook (target an http(s) URL), email (an address) or push (an Apprise URL). event_types: types or prefixes (reminder.*) of notify_event_types; vehicle_ids: only events about these vehicles. For a webhook the answer carries the signing secret (whsec_...), shown this once. Targets at private, loopback, link-local or metadata addresses are refused (400).';
revoke all on function api.create_subscription(text, text, text, text[], uuid[], boolean) from public;
grant execute on function api.create_subscription(text, text, text, text[], uuid[], boolean) to app_user;

create or replace function api.rotate_subscription_secret(id uuid, grace_hours integer default 24)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    tenant constant uuid := app.current_tenant_id();
    secret constant text := app.new_webhook_secret();
begin
    perform app.require_notify_manager();
    if grace_hours is null or grace_hours not between 0 and 720 then
        raise exception using errcode = 'check_violation', constraint = 'notify_signing_secrets_grace_hours_range',
            column = 'grace_hours', message = format('grace_hours: 0 to 720, got %s', coalesce(grace_hours::text, 'null'));
    end if;
    if not exists (
        select from app.notify_subscriptions as s
        where s.tenant_id = tenant and s.id = rotate_subscription_secret.id and s.channel = 'webhook' and s.deleted_at is null
    ) then
        raise sqlstate 'PT404' using message = format('id: no webhook subscription %s in this tenant', rotate_subscription_secret.id);
    end if;
    update auth_private.notify_signing_secrets as k
    set expires_at = least(coalesce(k.expires_at, 'infinity'), now() + make_interval(hours => grace_hours))
    where k.tenant_id = tenant and k.subscription_id = rotate_subscription_secret.id;
    insert into auth_private.notify_signing_secrets (tenant_id, subscription_id, secret)
    values (tenant, rotate_subscription_secret.id, secret);
    return jsonb_build_object('id', rotate_subscription_secret.id, 'secret', secret,
                              'previous_expires_at', now() + make_interval(hours => grace_hours));
end
$$;
comment on function api.rotate_subscription_secret(uuid, integer) is
    'Owners and admins: a new signing secret for a webhook subscription, shown this once. Messages carry a signature by every unexpired secret, so the old one still verifies for grace_hours (default 24, 0 to 720).';
revoke all on function api.rotate_subscription_secret(uuid, integer) from public;
grant execute on function api.rotate_subscription_secret(uuid, integer) to app_user;

create or replace view api.notify_subscriptions
with (security_invoker = true)
as
select tenant_id, id, name, channel, target_hint, event_types, vehicle_ids, active, flagged_at, flag_reason,
       created_at, updated_at, created_by, updated_by
from app.notify_subscriptions
where deleted_at is null;
comment on view api.notify_subscriptions is
    'Notification subscriptions of the active tenant (owners and admins). Create with rpc/create_subscription; PATCH name, event_types, vehicle_ids or active (pause/resume; resuming clears a flag); DELETE moves one to notify_subscriptions_trash. The target and secrets are write-only.';
comment on column api.notify_subscriptions.channel is 'webhook, email or push (Apprise).';
comment on column api.notify_subscriptions.target_hint is 'The target without credentials (write-only: create a new subscription to change it).';
comment on column api.notify_subscriptions.event_types is 'Event types or prefixes (reminder.*, *) of notify_event_types.';
comment on column api.notify_subscriptions.vehicle_ids is 'Only events about these vehicles (NULL: all, including events about no vehicle).';
comment on column api.notify_subscriptions.active is 'false pauses it: events while paused are not delivered to it.';
comment on column api.notify_subscriptions.flagged_at is 'When a delivery was dead-lettered (notify_deliveries status dead); cleared by resuming the subscription.';
select app.create_trash_api('api.notify_subscriptions', 'notify_subscription', 'notify subscriptions');
grant select, update on api.notify_subscriptions to app_user;  -- delete: app.create_trash_api

grant execute on function app.notify_event_types_known(text[]), app.notify_wants(text[], text),
    app.notify_target_refused(text), app.require_notify_manager() to app_user;

commit;
