-- Deploy motovault:reminder_alerts to pg
-- requires: outbox
-- requires: tenant_settings
-- requires: reminders
-- requires: garages
--
-- reminder.due_soon and reminder.overdue, once per reminder and due state:
--   app.notify_evaluate_reminders(at)  writes the events of every reminder that is due at `at`;
--                                      the delivery worker calls it every minute (docs/notifications.md:
--                                      why the worker and not pg_cron)
--   app.reminder_alerts                what was sent: one row per reminder, state and "arming" (a
--                                      fingerprint of due_on, due_odometer, odometer_unit, status and
--                                      snoozed_until). Changing, snoozing or completing a reminder
--                                      changes its fingerprint (or its id, for the next occurrence of
--                                      a recurring one): it is re-armed, and notifies again when due.
-- Local time: a reminder is evaluated as of its local date in the time zone of its vehicle's garage,
-- else the tenant's (tenant_settings.time_zone), else UTC; before the tenant's reminder_notify_time
-- (09:00 by default) the local date is still yesterday's, so nothing becomes due at midnight.

begin;

set local lock_timeout = '5s';

create table app.reminder_alerts (
    tenant_id uuid not null,
    reminder_id uuid not null,
    state text not null,
    armed_by text not null,
    event_id uuid not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint reminder_alerts_pkey primary key (tenant_id, reminder_id, state, armed_by),
    constraint reminder_alerts_state_known check (state in ('due_soon', 'overdue'))
);
comment on table app.reminder_alerts is
    'Reminder notifications already written to the outbox: one per reminder, due state and arming (fingerprint of the due fields and status). Written only by app.notify_evaluate_reminders; append-only, not audited.';
comment on column app.reminder_alerts.armed_by is 'md5 of due_on, due_odometer, odometer_unit, status, snoozed_until when the alert was sent: a changed reminder has a new one (re-armed).';
select app.distribute_table('app.reminder_alerts', 'tenant');
alter table app.reminder_alerts
    add constraint reminder_alerts_reminder_fk foreign key (tenant_id, reminder_id)
        references app.reminders (tenant_id, id) on delete cascade;
alter table app.reminder_alerts enable row level security;
alter table app.reminder_alerts force row level security;
create policy reminder_alerts_members_read on app.reminder_alerts for select to app_user
    using (tenant_id = app.current_tenant_id());
create policy reminder_alerts_owner_role_all on app.reminder_alerts for all to motovault_owner
    using (true) with check (true);

create or replace function app.notify_evaluate_reminders(at timestamptz default now())
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
    written integer;
begin
    with candidates as (
        select r.tenant_id, r.id, r.vehicle_id, r.title, r.category, r.due_on, r.due_odometer, r.odometer_unit,
               r.status, r.snoozed_until,
               coalesce(g.timezone, s.time_zone, 'UTC') as zone,
               coalesce(s.reminder_notify_time, time '09:00') as notify_time,
               md5(concat_ws('|', r.due_on, r.due_odometer, r.odometer_unit, r.status, r.snoozed_until)) as armed_by
        from app.reminders as r
        join app.vehicles as v on v.tenant_id = r.tenant_id and v.id = r.vehicle_id and v.deleted_at is null
        left join app.garages as g on g.tenant_id = v.tenant_id and g.id = v.garage_id and g.deleted_at is null
        left join app.tenant_settings as s on s.tenant_id = r.tenant_id and s.deleted_at is null
        where r.deleted_at is null
          and r.status in ('open', 'snoozed')
          and (r.due_odometer is not null
               or r.due_on <= (notify_evaluate_reminders.at at time zone 'UTC')::date + 1 + coalesce(s.reminder_urgent_days, 30))
    ),
    localized as (
        select c.*,
               case when (notify_evaluate_reminders.at at time zone c.zone)::time >= c.notify_time
                    then (notify_evaluate_reminders.at at time zone c.zone)::date
                    else (notify_evaluate_reminders.at at time zone c.zone)::date - 1
               end as local_date
        from candidates as c
    ),
    measured as (
        select l.*, d.days_left, d.distance_left, d.urgency,
               case when d.urgency = 'past_due' then 'overdue' else 'due_soon' end as state,
               app.uuid_v7() as event_id
        from localized as l
        cross join lateral app.due_status(l.tenant_id, l.vehicle_id, l.due_on, l.due_odometer, l.odometer_unit, l.local_date) as d
        where (l.status = 'open' or l.snoozed_until <= l.local_date)
          and d.urgency <> 'not_urgent'
    ),
    alerted as (
        insert into app.reminder_alerts (tenant_id, reminder_id, state, armed_by, event_id)
        select m.tenant_id, m.id, m.state, m.armed_by, m.event_id
        from measured as m
        on conflict do nothing
        returning tenant_id, event_id
    )
    insert into app.outbox_events (tenant_id, id, type, vehicle_id, subject)
    select m.tenant_id, m.event_id, 'reminder.' || m.state, m.vehicle_id,
           jsonb_build_object(
               'reminder_id', m.id, 'vehicle_id', m.vehicle_id, 'title', m.title, 'category', m.category,
               'due_on', m.due_on, 'due_odometer', m.due_odometer, 'odometer_unit', m.odometer_unit,
               'urgency', m.urgency, 'days_left', m.days_left, 'distance_left', m.distance_left,
               'time_zone', m.zone)
    from alerted as a
    join measured as m on m.tenant_id = a.tenant_id and m.event_id = a.event_id;
    get diagnostics written = row_count;
    if written > 0 then
        perform pg_notify('notify_outbox', '');
    end if;
    return written;
end
$$;
comment on function app.notify_evaluate_reminders(timestamptz) is
    'Writes reminder.due_soon / reminder.overdue for every open (or no longer snoozed) reminder that is due at `at` in its local time (garage, else tenant time zone, else UTC; not before the tenant''s reminder_notify_time), once per reminder, state and arming (app.reminder_alerts). Returns how many events it wrote. The delivery worker calls it every minute.';
revoke all on function app.notify_evaluate_reminders(timestamptz) from public;
grant execute on function app.notify_evaluate_reminders(timestamptz) to notify_worker;

commit;
