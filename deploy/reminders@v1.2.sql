-- Deploy motovault:reminders to pg
-- requires: reminders@v1.1
-- requires: service_hours
--
-- Reworked after @v1.1: reminders and scheduled maintenance due by hours. A reminder is due at
-- due_hours of hour_meter (engine by default) and recurs every recur_hours; app.hours_due_status gives
-- the hours left, the date the meter reaches them at its usage trend (app.daily_hours) and the
-- urgency of that date; reminders_due, urgency and projected_due_on take the earlier / more urgent of
-- date, distance and hours. Validates the checks service_hours added NOT VALID.

begin;

set local lock_timeout = '5s';

alter table app.reminders validate constraint reminders_due_date_odometer_or_hours;
alter table app.reminders validate constraint reminders_due_hours_range;
alter table app.reminders validate constraint reminders_recur_hours_range;
alter table app.reminders validate constraint reminders_recur_hours_needs_due_hours;
alter table app.reminders validate constraint reminders_hour_meter_format;
alter table app.reminders validate constraint reminders_hour_meter_with_hours;

create or replace function app.tg_reminders_prepare()
returns trigger
language plpgsql
as $$
begin
    new.odometer_unit := coalesce(
        new.odometer_unit,
        app.vehicle_odometer_unit(coalesce(new.tenant_id, app.current_tenant_id()), new.vehicle_id),
        'km');
    new.title := btrim(new.title);
    if new.due_hours is not null or new.recur_hours is not null then
        new.hour_meter := coalesce(new.hour_meter, 'engine');
    end if;
    new.dedupe_key := coalesce(nullif(btrim(new.dedupe_key), ''), new.category || ':' || lower(new.title));
    if new.status <> 'snoozed' then
        new.snoozed_until := null;
    end if;
    return new;
end
$$;
comment on function app.tg_reminders_prepare() is
    'BEFORE INSERT OR UPDATE on reminders: odometer_unit defaults to the vehicle''s; dedupe_key defaults to category:lower(title); snoozed_until is cleared when the reminder is no longer snoozed; hour_meter defaults to engine with due_hours.';

create or replace function app.tg_reminders_next_occurrence()
returns trigger
language plpgsql
as $$
begin
    if old.status in ('open', 'snoozed') and new.status = 'done' and new.deleted_at is null
       and (new.recur_months is not null or new.recur_distance is not null or new.recur_hours is not null) then
        insert into app.reminders (
            tenant_id, vehicle_id, title, category, notes, due_on, due_odometer, odometer_unit,
            recur_months, recur_distance, status, dedupe_key, previous_id,
            hour_meter, due_hours, recur_hours)
        values (
            new.tenant_id, new.vehicle_id, new.title, new.category, new.notes,
            case when new.recur_months is not null then (new.due_on + make_interval(months => new.recur_months))::date else new.due_on end,
            case when new.recur_distance is not null then new.due_odometer + new.recur_distance else new.due_odometer end,
            new.odometer_unit, new.recur_months, new.recur_distance, 'open', new.dedupe_key, new.id,
            new.hour_meter,
            case when new.recur_hours is not null then new.due_hours + new.recur_hours else new.due_hours end,
            new.recur_hours);
    end if;
    return null;
end
$$;
comment on function app.tg_reminders_next_occurrence() is
    'AFTER UPDATE on reminders: marking a recurring reminder done opens the next one, due recur_months after its due date recur_distance after its due odometer and/or recur_hours after its due hours, with the same dedupe key.';

create or replace function app.daily_km(tenant uuid, vehicle uuid, as_of date)
returns numeric
language plpgsql
stable
as $$
-- plpgsql: its plan is cached per connection (a SQL function is planned again in every query).
-- Two statements, as app.daily_hours: the last reset as a sub-query of the trend query was run once
-- per reading when the planner expects one reading per vehicle (as it does for hour_readings).
declare
    start_at timestamp;
begin
    select coalesce(max(r.read_at), '-infinity')
    into start_at
    from app.odometer_readings as r
    where r.tenant_id = tenant
      and r.vehicle_id = vehicle
      and r.is_reset
      and r.read_at <= as_of + 1;
    return (
        select (max(r.odometer_km) - min(r.odometer_km))
               / nullif(extract(epoch from max(r.read_at) - min(r.read_at)) / 86400, 0)
        from app.odometer_readings as r
        where r.tenant_id = tenant
          and r.vehicle_id = vehicle
          and r.read_at >= greatest((as_of - 90)::timestamp, start_at)
          and r.read_at < (as_of + 1)::timestamp
    );
end
$$;
comment on function app.daily_km(uuid, uuid, date) is
    'Average distance per day (km) of a vehicle over its readings of the 90 days up to as_of (since the last reset), or NULL with fewer than two readings on different days.';

create or replace function app.hours_due_status(
    tenant uuid,
    vehicle uuid,
    due_hours numeric,
    hour_meter text,
    as_of date default current_date
)
returns table (hours_left numeric, projected_due_on date, urgency text)
language plpgsql
stable
as $$
-- plpgsql, not an inlinable SQL function: a view that reads hours_left, projected_due_on and urgency
-- several times (filter, sort, output) then computes the latest reading and the trend once per row
declare
    latest numeric;
    per_day numeric;
    urgent_days integer;
    very_urgent_days integer;
begin
    if hours_due_status.due_hours is null then
        return next;
        return;
    end if;
    latest := app.latest_hours(hours_due_status.tenant, hours_due_status.vehicle, hours_due_status.hour_meter);
    if latest is null then
        return next;
        return;
    end if;
    hours_left := hours_due_status.due_hours - latest;
    if hours_left <= 0 then
        projected_due_on := hours_due_status.as_of;
    else
        per_day := app.daily_hours(hours_due_status.tenant, hours_due_status.vehicle, hours_due_status.hour_meter,
                                   hours_due_status.as_of);
        projected_due_on := hours_due_status.as_of + ceil(hours_left / nullif(per_day, 0))::integer;
    end if;
    select coalesce(max(ts.reminder_urgent_days), 30), coalesce(max(ts.reminder_very_urgent_days), 7)
    into urgent_days, very_urgent_days
    from app.tenant_settings as ts
    where ts.tenant_id = hours_due_status.tenant
      and ts.deleted_at is null;
    urgency := app.urgency(projected_due_on - hours_due_status.as_of, case when hours_left < 0 then -1 end,
                           urgent_days, very_urgent_days, null, null);
    return next;
end
$$;
comment on function app.hours_due_status(uuid, uuid, numeric, text, date) is
    'For something due at a reading of an hour meter: hours left (due_hours minus the latest reading), the date the meter will reach it at its usage trend (app.daily_hours, last 90 days), and the urgency of that date by the tenant''s day thresholds (past_due once the reading is passed). NULLs without due_hours or readings.';

create or replace function app.more_urgent(a text, b text)
returns text
language sql
immutable
parallel safe
return case when b is null or app.urgency_rank(a) <= app.urgency_rank(b) then coalesce(a, b) else b end;
comment on function app.more_urgent(text, text) is 'The more urgent of two urgencies (NULL counts as none).';

create or replace view api.reminders
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, title, category, notes, due_on, due_odometer, odometer_unit,
       recur_months, recur_distance, status, snoozed_until, dedupe_key, previous_id,
       created_at, updated_at, created_by, updated_by,
       due_hours, recur_hours, hour_meter
from app.reminders
where deleted_at is null;
comment on view api.reminders is
    'Reminders of the active tenant''s vehicles, by due date, due odometer and/or due hours (hour_meter). At most one open (or snoozed) reminder per vehicle and dedupe_key (409 otherwise). Marking a recurring reminder done opens the next one. Add select=*,urgency,projected_due_on,hours_left for the computed fields; reminders_due lists what is due. DELETE moves a reminder to reminders_trash.';
comment on column api.reminders.due_hours is 'Due at this reading of hour_meter (hours).';
comment on column api.reminders.recur_hours is 'Repeat every N hours after due_hours; needs due_hours.';
comment on column api.reminders.hour_meter is 'The hour meter of due_hours: engine by default.';

create or replace function api.urgency(api.reminders)
returns text
language sql
stable
as $$
    select app.more_urgent(s.urgency, h.urgency)
    from app.due_status($1.tenant_id, $1.vehicle_id, $1.due_on, $1.due_odometer, $1.odometer_unit) as s
    cross join app.hours_due_status($1.tenant_id, $1.vehicle_id, $1.due_hours, $1.hour_meter) as h
$$;
comment on function api.urgency(api.reminders) is
    'Computed field of reminders: past_due, very_urgent, urgent or not_urgent, by the tenant''s thresholds; for due_hours, by the date the hour meter''s usage trend reaches it (select=*,urgency).';

create or replace function api.projected_due_on(api.reminders)
returns date
language sql
stable
as $$
    select least(s.projected_due_on, h.projected_due_on)
    from app.due_status($1.tenant_id, $1.vehicle_id, $1.due_on, $1.due_odometer, $1.odometer_unit) as s
    cross join app.hours_due_status($1.tenant_id, $1.vehicle_id, $1.due_hours, $1.hour_meter) as h
$$;
comment on function api.projected_due_on(api.reminders) is
    'Computed field of reminders: the earliest date the vehicle reaches due_odometer (average daily distance over the last 90 days) or due_hours (the hour meter''s hours per day over the last 90 days).';

create or replace function api.hours_left(api.reminders)
returns numeric
language sql
stable
as $$
    select h.hours_left
    from app.hours_due_status($1.tenant_id, $1.vehicle_id, $1.due_hours, $1.hour_meter) as h
$$;
comment on function api.hours_left(api.reminders) is
    'Computed field of reminders: due_hours minus the latest reading of hour_meter (negative: past due).';

create or replace view api.reminders_due
with (security_invoker = true)
as
with items as (
    select 'reminder'::text as source, r.tenant_id, r.id, r.vehicle_id, r.title, r.category,
           r.due_on, r.due_odometer, r.odometer_unit, r.due_hours, r.hour_meter
    from app.reminders as r
    where r.deleted_at is null
      and (r.status = 'open' or (r.status = 'snoozed' and r.snoozed_until <= current_date))
    union all
    select 'maintenance'::text, m.tenant_id, m.id, m.vehicle_id,
           coalesce(m.description, replace(m.type, '_', ' ')), m.type,
           m.due_on, m.due_odometer, m.odometer_unit, m.due_hours, m.hour_meter
    from app.maintenance as m
    where m.deleted_at is null
      and m.status = 'scheduled'
)
select i.source, i.id, i.vehicle_id, v.display_name as vehicle_name, i.title, i.category,
       i.due_on, i.due_odometer, i.odometer_unit, v.odometer_reading as vehicle_odometer,
       s.days_left, s.distance_left, least(s.projected_due_on, h.projected_due_on) as projected_due_on,
       app.more_urgent(s.urgency, h.urgency) as urgency,
       i.due_hours, i.hour_meter, h.hours_left
from items as i
join app.vehicles as v on v.tenant_id = i.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
cross join lateral app.due_status(i.tenant_id, i.vehicle_id, i.due_on, i.due_odometer, i.odometer_unit) as s
cross join lateral app.hours_due_status(i.tenant_id, i.vehicle_id, i.due_hours, i.hour_meter) as h
where app.more_urgent(s.urgency, h.urgency) <> 'not_urgent'
order by app.urgency_rank(app.more_urgent(s.urgency, h.urgency)),
         least(s.days_left, least(h.projected_due_on, s.projected_due_on) - current_date, 2147483647), i.due_on, i.id;
comment on view api.reminders_due is
    'What is due across the active tenant''s vehicles: open reminders (and snoozed ones whose snooze has ended) and scheduled maintenance that are past_due, very_urgent or urgent by the tenant''s thresholds, most urgent first, with days, distance and hours left and, for odometer- and hour-based items, a projected due date from the usage trend (last 90 days).';

grant execute on function
    app.hours_due_status(uuid, uuid, numeric, text, date),
    app.more_urgent(text, text),
    api.hours_left(api.reminders)
    to app_user;

commit;
