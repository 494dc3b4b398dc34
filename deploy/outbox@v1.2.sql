-- Deploy motovault:outbox to pg
-- requires: reminders
-- requires: invitations
-- requires: vehicle_images
-- requires: odometer_entries
-- requires: fuel_logs
--
-- The transactional outbox (docs/notifications.md): every event is a row of app.outbox_events
-- written in the transaction of the change that causes it, so a rolled-back change leaves no
-- event and a committed one never loses its event. Delivery (app.notify_dispatch, the worker)
-- reads the outbox, never the record tables.
--   app.emit_outbox_event(tenant, type, subject)   any change may call it (recalls, imports ...)
--   _800_outbox_insert/_update/_delete             statement-level triggers with transition
--                                                  tables on the record tables: one INSERT ...
--                                                  SELECT per statement, however many rows
--   api.notify_event_types                         the documented, versioned event types
-- Every statement that writes events wakes the worker: NOTIFY notify_outbox (one per
-- transaction: PostgreSQL folds identical notifications).

begin;

set local lock_timeout = '5s';

select format('create role %I nologin', 'notify_worker')
where not exists (select from pg_roles where rolname = 'notify_worker')
\gexec
comment on role notify_worker is 'motovault: the notification delivery worker; runs only the app.notify_* functions';
-- the owner role runs the worker in the local stack, then `set role notify_worker`: it must be a member
select format('grant notify_worker to %I', current_user)
where not pg_has_role(current_user, 'notify_worker', 'member')
\gexec

create table app.outbox_events (
    tenant_id uuid not null,
    id uuid not null default app.uuid_v7(),
    type text not null,
    version smallint not null default 1,
    vehicle_id uuid,
    subject jsonb not null,
    occurred_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    dispatched_at timestamptz,
    constraint outbox_events_pkey primary key (tenant_id, id),
    constraint outbox_events_type_format check (type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$' and char_length(type) <= 100),
    constraint outbox_events_version_positive check (version >= 1),
    constraint outbox_events_subject_object check (jsonb_typeof(subject) = 'object')
);
comment on table app.outbox_events is
    'The transactional outbox: one row per event, written in the transaction of the change that causes it (app.emit_outbox_event, the _800_outbox triggers). dispatched_at is set when app.notify_dispatch has fanned it out into deliveries. Append-only: not audited (the audit log already has the change).';
comment on column app.outbox_events.subject is 'The event''s data (the "data" of the delivered message), versioned by version; api.notify_event_types documents each type.';
comment on column app.outbox_events.vehicle_id is 'The vehicle the event is about, if any: subscriptions may filter on it.';
select app.distribute_table('app.outbox_events', 'tenant');
-- no foreign key to app.tenants: its per-row check was a third of the cost of writing events (bench/
-- notify_bench.py); every event's tenant_id comes from a row that references its tenant, and
-- deleting a tenant deletes its events (_400_purge_outbox_events below)
create index outbox_events_undispatched_idx on app.outbox_events (id) where dispatched_at is null;

alter table app.outbox_events enable row level security;
alter table app.outbox_events force row level security;
create policy outbox_events_members_read on app.outbox_events for select to app_user
    using (tenant_id = app.current_tenant_id());
create policy outbox_events_owner_role_all on app.outbox_events for all to motovault_owner
    using (true) with check (true);

create or replace function app.tg_purge_outbox_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    delete from app.outbox_events as e
    using old_rows as o
    where e.tenant_id = o.id;
    return null;
end
$$;
comment on function app.tg_purge_outbox_events() is
    'AFTER DELETE FOR EACH STATEMENT on tenants: deletes the outbox events of the deleted tenants (app.outbox_events has no foreign key to tenants: see deploy/outbox.sql).';
create trigger _400_purge_outbox_events after delete on app.tenants referencing old table as old_rows
    for each statement execute function app.tg_purge_outbox_events();

-- the event types -------------------------------------------------------------------------------

create or replace function app.notify_event_types()
returns table (type text, version smallint, description text, example jsonb)
language sql
immutable
as $$
    select t.type, 1::smallint, t.description, t.example
    from (
        values
            ('reminder.due_soon',
             'A reminder became urgent or very urgent (by the tenant''s thresholds) at the tenant''s notify time in its local time zone. Once per reminder and due state; changing, snoozing or completing the reminder re-arms it.',
             '{"reminder_id": "0190...", "vehicle_id": "0190...", "title": "Oil change", "category": "maintenance", "due_on": "2026-12-20", "due_odometer": null, "odometer_unit": "km", "urgency": "urgent", "days_left": 14, "distance_left": null, "time_zone": "Europe/Berlin"}'::jsonb),
            ('reminder.overdue',
             'A reminder is past due (date passed or odometer reached), once per reminder and due state, re-armed as reminder.due_soon is.',
             '{"reminder_id": "0190...", "vehicle_id": "0190...", "title": "Oil change", "category": "maintenance", "due_on": "2026-12-01", "due_odometer": null, "odometer_unit": "km", "urgency": "past_due", "days_left": -5, "distance_left": null, "time_zone": "Europe/Berlin"}'::jsonb),
            ('import.finished',
             'An import batch finished (emitted by the import commit through app.emit_outbox_event).',
             '{"batch_id": "0190...", "status": "committed", "records": 120, "rejected": 0}'::jsonb),
            ('member.invited',
             'Someone was invited into the tenant (api.invite_member).',
             '{"invitation_id": "0190...", "role": "member", "expires_at": "2026-12-13T08:00:00Z"}'::jsonb),
            ('vehicle_recall.new',
             'NHTSA published a safety recall that matches a vehicle (the worker''s recall check, docs/recalls.md).',
             '{"recall_id": "0190...", "vehicle_id": "0190...", "campaign_number": "24V123000", "component": "AIR BAGS", "park_it": false, "park_outside": false, "report_received_on": "2024-02-01"}'::jsonb)
    ) as t(type, description, example)
    union all
    select r.record || '.' || c.change, 1::smallint,
           format('A %s was %s (through the API or any other client). Read the record itself through the API: the event carries its id.',
                  replace(r.record, '_', ' '), c.change),
           jsonb_build_object('id', '0190...', 'vehicle_id', case when r.record in ('vehicle', 'garage') then null else '0190...' end)
    from unnest(array['vehicle', 'garage', 'fuel_log', 'maintenance', 'reminder', 'odometer_entry', 'vehicle_image']) as r(record)
    cross join unnest(array['created', 'updated', 'deleted', 'restored']) as c(change)
$$;
comment on function app.notify_event_types() is
    'The event types of the outbox with their payload version, description and an example of their data.';

create or replace view api.notify_event_types
with (security_invoker = true)
as
select type, version, description, example
from app.notify_event_types();
comment on view api.notify_event_types is
    'Event types that subscriptions can ask for, with the version of their payload and an example of its data (the "data" of a delivered message). A subscription may also ask for a prefix: reminder.* .';
comment on column api.notify_event_types.version is 'Payload version: fields are only added within a version; a removed or changed field is a new version.';
grant select on api.notify_event_types to app_user;
grant execute on function app.notify_event_types() to app_user;
select app.protect_read_only_view('api.notify_event_types');

-- writing events --------------------------------------------------------------------------------

create or replace function app.emit_outbox_event(tenant uuid, type text, subject jsonb, vehicle uuid default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
    active constant uuid := app.current_tenant_id();
    event_id uuid;
begin
    if tenant is null then
        raise exception using errcode = 'not_null_violation', column = 'tenant_id',
            message = 'tenant_id: an outbox event belongs to a tenant', hint = 'Pass the tenant of the change.';
    end if;
    if active is not null and tenant <> active and current_setting('role', true) = 'app_user' then
        raise exception using errcode = 'insufficient_privilege',
            message = 'tenant_id: an API request writes events of its active tenant only';
    end if;
    insert into app.outbox_events (tenant_id, type, subject, vehicle_id)
    values (tenant, type, coalesce(subject, '{}'::jsonb), vehicle)
    returning id into event_id;
    perform pg_notify('notify_outbox', '');
    return event_id;
end
$$;
comment on function app.emit_outbox_event(uuid, text, jsonb, uuid) is
    'Writes one event into the outbox in the caller''s transaction (rolled back with it) and wakes the delivery worker. For changes that have no trigger of their own: import.finished, recalls. type is lower-case dotted (import.finished), subject the JSON object delivered as "data", vehicle the vehicle it is about (subscriptions filter on it). Returns the event id.';
revoke all on function app.emit_outbox_event(uuid, text, jsonb, uuid) from public;
grant execute on function app.emit_outbox_event(uuid, text, jsonb, uuid) to app_user;

create or replace function app.tg_outbox_records()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
    record_type constant text := tg_argv[0];
    new_vehicle constant text := case when tg_nargs > 1 then 'n.' || quote_ident(tg_argv[1]) else 'null::uuid' end;
    old_vehicle constant text := case when tg_nargs > 1 then 'o.' || quote_ident(tg_argv[1]) else 'null::uuid' end;
    written bigint;
begin
    if tg_op = 'INSERT' then
        execute format(
            'insert into app.outbox_events (tenant_id, type, vehicle_id, subject)
             select n.tenant_id, %L, %s, jsonb_build_object(''id'', n.id, ''vehicle_id'', %s)
             from new_rows as n
             where n.deleted_at is null',
            record_type || '.created', new_vehicle, new_vehicle);
    elsif tg_op = 'DELETE' then
        execute format(
            'insert into app.outbox_events (tenant_id, type, vehicle_id, subject)
             select o.tenant_id, %L, %s, jsonb_build_object(''id'', o.id, ''vehicle_id'', %s)
             from old_rows as o
             where o.deleted_at is null',
            record_type || '.deleted', old_vehicle, old_vehicle);
    else
        execute format(
            'insert into app.outbox_events (tenant_id, type, vehicle_id, subject)
             select n.tenant_id, %L || case
                        when o.deleted_at is null and n.deleted_at is null then ''.updated''
                        when o.deleted_at is null then ''.deleted''
                        else ''.restored''
                    end,
                    %s, jsonb_build_object(''id'', n.id, ''vehicle_id'', %s)
             from new_rows as n
             join old_rows as o on o.tenant_id = n.tenant_id and o.id = n.id
             where (o.deleted_at is null or n.deleted_at is null)',
            record_type, new_vehicle, new_vehicle);
    end if;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return null;
end
$$;
comment on function app.tg_outbox_records() is
    'AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on a record table (transition tables new_rows, old_rows): one outbox event per changed row, <record>.created / updated / deleted (soft delete) / restored, with {id, vehicle_id}; written by one INSERT ... SELECT per statement. Arguments: the record type and the vehicle id column (none for vehicles'' own id: pass id).';

do $$
declare
    t record;
    args text;
begin
    for t in
        select *
        from (values
            ('app.vehicles', 'vehicle', 'id'),
            ('app.garages', 'garage', null),
            ('app.fuel_logs', 'fuel_log', 'vehicle_id'),
            ('app.maintenance', 'maintenance', 'vehicle_id'),
            ('app.reminders', 'reminder', 'vehicle_id'),
            ('app.odometer_entries', 'odometer_entry', 'vehicle_id'),
            ('app.vehicle_images', 'vehicle_image', 'vehicle_id')
        ) as v(tbl, record_type, vehicle_column)
    loop
        args := quote_literal(t.record_type) || coalesce(', ' || quote_literal(t.vehicle_column), '');
        execute format(
            'create trigger _800_outbox_insert after insert on %s referencing new table as new_rows '
            'for each statement execute function app.tg_outbox_records(%s)', t.tbl, args);
        execute format(
            'create trigger _800_outbox_update after update on %s referencing old table as old_rows new table as new_rows '
            'for each statement execute function app.tg_outbox_records(%s)', t.tbl, args);
        execute format(
            'create trigger _800_outbox_delete after delete on %s referencing old table as old_rows '
            'for each statement execute function app.tg_outbox_records(%s)', t.tbl, args);
    end loop;
end
$$;

create or replace function app.tg_outbox_invitations()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
    insert into app.outbox_events (tenant_id, type, subject)
    select n.tenant_id, 'member.invited',
           jsonb_build_object('invitation_id', n.id, 'role', n.role, 'expires_at', n.expires_at)
    from new_rows as n;
    perform pg_notify('notify_outbox', '');
    return null;
end
$$;
comment on function app.tg_outbox_invitations() is
    'AFTER INSERT FOR EACH STATEMENT on invitations: a member.invited event per invitation (no address: the event goes to the tenant''s subscribers, not the invitee).';
create trigger _800_outbox_insert after insert on app.invitations referencing new table as new_rows
    for each statement execute function app.tg_outbox_invitations();

commit;
