-- Deploy motovault:notify_deliveries to pg
-- requires: notify_subscriptions
-- requires: reminder_alerts
--
-- Delivery of outbox events to subscriptions, at least once per subscription, by the worker
-- (motovault.notify.worker; the VIN worker's model: FOR UPDATE SKIP LOCKED, leases, LISTEN/NOTIFY):
--   app.notify_dispatch(n)               fans out up to n undispatched outbox events into one
--                                        delivery per matching active subscription (one transaction)
--   app.notify_claim(n, worker, lease)   leases up to n due deliveries (expired leases of a dead worker
--                                        come back); returns the message, target and secrets
--   app.notify_finish(results)           records a batch of attempts: delivered, or retried after an
--                                        exponential backoff with jitter, or dead after the last
--                                        attempt (the subscription is flagged)
--   api.notify_deliveries                owners and admins: status, response code, latency, attempts
--   api.replay_delivery(id)              sends one again (same webhook-id)
-- A delivery's id is the message's idempotency id (webhook-id): the same across retries and replays.
-- Settings (GUC, defaults): motovault.notify_max_attempts (8), motovault.notify_backoff_seconds (10;
-- doubles per attempt, at most one hour, times a random factor 0.5 .. 1.5).

begin;

set local lock_timeout = '5s';

create table app.notify_deliveries (
    tenant_id uuid not null,
    id uuid not null default app.uuid_v7(),
    subscription_id uuid not null,
    event_id uuid not null,
    status text not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    lease_until timestamptz,
    leased_by text,
    response_code integer,
    latency_ms integer,
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint notify_deliveries_pkey primary key (tenant_id, id),
    constraint notify_deliveries_status_known check (status in ('pending', 'running', 'delivered', 'dead')),
    constraint notify_deliveries_attempts_not_negative check (attempts >= 0),
    constraint notify_deliveries_running_has_lease
        check (status <> 'running' or (lease_until is not null and leased_by is not null)),
    constraint notify_deliveries_delivered_at_iff_delivered check ((status = 'delivered') = (delivered_at is not null))
);
comment on table app.notify_deliveries is
    'One event for one subscription: pending -> running (leased) -> delivered, or pending again after a backoff, or dead after the last attempt. Its id is the message id (webhook-id), the same on every retry. Written only by the notify functions; not audited.';
select app.distribute_table('app.notify_deliveries', 'tenant');
alter table app.notify_deliveries
    add constraint notify_deliveries_subscription_fk foreign key (tenant_id, subscription_id)
        references app.notify_subscriptions (tenant_id, id) on delete cascade,
    add constraint notify_deliveries_event_fk foreign key (tenant_id, event_id)
        references app.outbox_events (tenant_id, id) on delete cascade;
create unique index notify_deliveries_once_per_subscription on app.notify_deliveries (tenant_id, subscription_id, event_id);
create index notify_deliveries_event_fk_idx on app.notify_deliveries (tenant_id, event_id);
create index notify_deliveries_due_idx on app.notify_deliveries (next_attempt_at) where status = 'pending';
create index notify_deliveries_lease_idx on app.notify_deliveries (lease_until) where status = 'running';

alter table app.notify_deliveries enable row level security;
alter table app.notify_deliveries force row level security;
create policy notify_deliveries_members_read on app.notify_deliveries for select to app_user
    using (tenant_id = app.current_tenant_id());
create policy notify_deliveries_managers_only on app.notify_deliveries as restrictive for select to app_user
    using (app.current_member_role() in ('owner', 'admin'));
create policy notify_deliveries_owner_role_all on app.notify_deliveries for all to motovault_owner
    using (true) with check (true);
grant select on app.notify_deliveries to app_user;
grant select on app.outbox_events to app_user;

create or replace function app.notify_setting(name text, fallback numeric)
returns numeric
language sql
stable
return coalesce(nullif(current_setting('motovault.' || name, true), '')::numeric, fallback);
comment on function app.notify_setting(text, numeric) is
    'A numeric setting motovault.<name> (database or session GUC), or the fallback.';

create or replace function app.notify_dispatch(batch_size integer default 1000)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    picked_count integer;
begin
    with picked as (
        select e.tenant_id, e.id, e.type, e.vehicle_id
        from app.outbox_events as e
        where e.dispatched_at is null
        order by e.id
        limit batch_size
        for update skip locked
    ),
    marked as (
        update app.outbox_events as e
        set dispatched_at = now()
        from picked as p
        where e.tenant_id = p.tenant_id and e.id = p.id
        returning e.tenant_id, e.id, e.type, e.vehicle_id
    ),
    fanned as (
        insert into app.notify_deliveries (tenant_id, subscription_id, event_id)
        select m.tenant_id, s.id, m.id
        from marked as m
        join app.notify_subscriptions as s
          on s.tenant_id = m.tenant_id
         and s.active
         and s.deleted_at is null
         and app.notify_wants(s.event_types, m.type)
         and (s.vehicle_ids is null or m.vehicle_id = any (s.vehicle_ids))
        on conflict do nothing
        returning 1
    )
    select count(*) into picked_count from marked;
    return picked_count;
end
$$;
comment on function app.notify_dispatch(integer) is
    'Fans out up to batch_size undispatched outbox events (oldest first, SKIP LOCKED) into one pending delivery per active subscription that wants the type (and vehicle), marking them dispatched, in one transaction. Returns how many events it took.';

create or replace function app.notify_claim(batch_size integer, worker text, lease_seconds integer default 60)
returns table (
    delivery_id uuid, tenant_id uuid, subscription_id uuid, channel text, target text, secrets text[],
    event_type text, message text, occurred_at timestamptz, attempts integer
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
    if batch_size is null or batch_size < 1 or lease_seconds is null or lease_seconds < 1 then
        raise exception using
            errcode = 'invalid_parameter_value',
            message = format('batch_size, lease_seconds: must be 1 or more, got %s and %s', batch_size, lease_seconds);
    end if;
    -- running deliveries whose lease expired: their worker died mid-batch; they are sent again
    update app.notify_deliveries as d
    set status = case when d.attempts >= app.notify_setting('notify_max_attempts', 8) then 'dead' else 'pending' end,
        last_error = format('lease of %s expired during attempt %s', d.leased_by, d.attempts),
        next_attempt_at = now(),
        lease_until = null,
        updated_at = now()
    where d.status = 'running'
      and d.lease_until < now();

    return query
    with picked as (
        select d.tenant_id, d.id
        from app.notify_deliveries as d
        join app.notify_subscriptions as s
          on s.tenant_id = d.tenant_id and s.id = d.subscription_id and s.active and s.deleted_at is null
        where d.status = 'pending'
          and d.next_attempt_at <= now()
        order by d.next_attempt_at, d.id
        limit batch_size
        for update of d skip locked
    ),
    leased as (
        update app.notify_deliveries as d
        set status = 'running',
            attempts = d.attempts + 1,
            lease_until = now() + make_interval(secs => lease_seconds),
            leased_by = worker,
            updated_at = now()
        from picked as p
        where d.tenant_id = p.tenant_id and d.id = p.id
        returning d.tenant_id, d.id, d.subscription_id, d.event_id, d.attempts
    )
    select l.id, l.tenant_id, l.subscription_id, s.channel, t.target,
           array(
               select k.secret
               from auth_private.notify_signing_secrets as k
               where k.tenant_id = l.tenant_id and k.subscription_id = l.subscription_id
                 and (k.expires_at is null or k.expires_at > now())
               order by k.created_at desc
           ),
           e.type,
           jsonb_build_object(
               'id', e.id, 'type', e.type, 'version', e.version, 'tenant_id', e.tenant_id,
               'timestamp', e.occurred_at, 'data', e.subject)::text,
           e.occurred_at,
           l.attempts
    from leased as l
    join app.notify_subscriptions as s on s.tenant_id = l.tenant_id and s.id = l.subscription_id
    join auth_private.notify_targets as t on t.tenant_id = l.tenant_id and t.subscription_id = l.subscription_id
    join app.outbox_events as e on e.tenant_id = l.tenant_id and e.id = l.event_id;
end
$$;
comment on function app.notify_claim(integer, text, integer) is
    'Leases up to batch_size due deliveries of active subscriptions (FOR UPDATE SKIP LOCKED) for lease_seconds, after returning expired leases of dead workers to pending (or dead after the last attempt). Returns what the worker sends: channel, target, the unexpired signing secrets (newest first), and the message (JSON: id, type, version, tenant_id, timestamp, data).';

create or replace function app.notify_finish(results jsonb, worker text)
returns table (delivered integer, retrying integer, dead integer)
language plpgsql
security definer
set search_path = ''
as $$
declare
    max_attempts constant numeric := app.notify_setting('notify_max_attempts', 8);
    backoff constant numeric := app.notify_setting('notify_backoff_seconds', 10);
begin
    return query
    with r as (
        select *
        from jsonb_to_recordset(results) as r(tenant_id uuid, id uuid, ok boolean, response_code integer, latency_ms integer, error text)
    ),
    finished as (
        update app.notify_deliveries as d
        set status = case when r.ok then 'delivered' when d.attempts >= max_attempts then 'dead' else 'pending' end,
            delivered_at = case when r.ok then now() end,
            next_attempt_at = case
                when r.ok then d.next_attempt_at
                else now() + make_interval(secs => least(3600, backoff * power(2, greatest(d.attempts - 1, 0))) * (0.5 + random()))
            end,
            response_code = r.response_code,
            latency_ms = r.latency_ms,
            last_error = case when r.ok then null else left(r.error, 2000) end,
            lease_until = null,
            updated_at = now()
        from r
        where d.tenant_id = r.tenant_id
          and d.id = r.id
          and d.status = 'running'
          and d.leased_by = worker
        returning d.tenant_id, d.id, d.subscription_id, d.status, d.last_error
    ),
    flagged as (
        update app.notify_subscriptions as s
        set flagged_at = now(),
            flag_reason = format('delivery %s dead after %s attempts: %s', f.id, max_attempts, coalesce(f.last_error, 'failed'))
        from (
            select distinct on (f.tenant_id, f.subscription_id) f.tenant_id, f.subscription_id, f.id, f.last_error
            from finished as f
            where f.status = 'dead'
            order by f.tenant_id, f.subscription_id, f.id
        ) as f
        where s.tenant_id = f.tenant_id and s.id = f.subscription_id
        returning 1
    )
    select count(*) filter (where f.status = 'delivered')::integer,
           count(*) filter (where f.status = 'pending')::integer,
           count(*) filter (where f.status = 'dead')::integer
    from finished as f;
end
$$;
comment on function app.notify_finish(jsonb, text) is
    'Records a batch of attempts of one worker ([{tenant_id, id, ok, response_code, latency_ms, error}]): delivered; or pending again after motovault.notify_backoff_seconds (10) doubled per attempt (at most an hour) times a random 0.5 .. 1.5; or dead after motovault.notify_max_attempts (8), which flags the subscription. A delivery whose lease this worker lost is left alone.';

create or replace view api.notify_deliveries
with (security_invoker = true)
as
select d.id, d.subscription_id, d.event_id, e.type as event_type, d.status, d.attempts, d.response_code,
       d.latency_ms, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at
from app.notify_deliveries as d
join app.outbox_events as e on e.tenant_id = d.tenant_id and e.id = d.event_id;
comment on view api.notify_deliveries is
    'Deliveries of the active tenant''s events to its subscriptions (owners and admins): status (pending, running, delivered, dead), attempts, the last response code, latency and error. rpc/replay_delivery sends one again. id is the message''s webhook-id.';
comment on column api.notify_deliveries.status is 'pending (due at next_attempt_at), running (a worker holds it), delivered, or dead (after the last attempt; the subscription is flagged).';
comment on column api.notify_deliveries.latency_ms is 'Duration of the last attempt in milliseconds.';
grant select on api.notify_deliveries to app_user;
select app.protect_read_only_view('api.notify_deliveries');

create or replace function api.replay_delivery(id uuid)
returns setof api.notify_deliveries
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    tenant constant uuid := app.current_tenant_id();
begin
    perform app.require_notify_manager();
    update app.notify_deliveries as d
    set status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = null,
        lease_until = null, leased_by = null, updated_at = now()
    where d.tenant_id = tenant and d.id = replay_delivery.id and d.status <> 'running';
    if not found then
        raise sqlstate 'PT404' using
            message = format('id: no delivery %s of this tenant that is not running now', replay_delivery.id);
    end if;
    perform pg_notify('notify_outbox', '');
    return query select * from api.notify_deliveries as v where v.id = replay_delivery.id;
end
$$;
comment on function api.replay_delivery(uuid) is
    'Owners and admins: sends a delivery again (delivered or dead ones too), with the same webhook-id, at the next wake-up of the worker; its attempts start again from 0.';
revoke all on function api.replay_delivery(uuid) from public;
grant execute on function api.replay_delivery(uuid) to app_user;

revoke all on function app.notify_dispatch(integer), app.notify_claim(integer, text, integer),
    app.notify_finish(jsonb, text) from public;
grant execute on function app.notify_dispatch(integer), app.notify_claim(integer, text, integer),
    app.notify_finish(jsonb, text), app.notify_setting(text, numeric) to notify_worker;
grant usage on schema app to notify_worker;

commit;
