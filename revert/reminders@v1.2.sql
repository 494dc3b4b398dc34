-- Revert motovault:reminders from pg: back to its @v1.1 definitions
-- requires: reminders@v1.1
--
-- The functions and views as the @v1.1 deploy script has them. The views keep the columns the rework
-- appended (a view cannot lose columns in place) as NULLs, so that service_hours can drop the table
-- columns; reverting reminders@v1.1 drops the views.

begin;

set local lock_timeout = '5s';

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
    new.dedupe_key := coalesce(nullif(btrim(new.dedupe_key), ''), new.category || ':' || lower(new.title));
    if new.status <> 'snoozed' then
        new.snoozed_until := null;
    end if;
    return new;
end
$$;
comment on function app.tg_reminders_prepare() is
    'BEFORE INSERT OR UPDATE on reminders: odometer_unit defaults to the vehicle''s; dedupe_key defaults to category:lower(title); snoozed_until is cleared when the reminder is no longer snoozed.';
create or replace function app.tg_reminders_next_occurrence()
returns trigger
language plpgsql
as $$
begin
    if old.status in ('open', 'snoozed') and new.status = 'done' and new.deleted_at is null
       and (new.recur_months is not null or new.recur_distance is not null) then
        insert into app.reminders (
            tenant_id, vehicle_id, title, category, notes, due_on, due_odometer, odometer_unit,
            recur_months, recur_distance, status, dedupe_key, previous_id)
        values (
            new.tenant_id, new.vehicle_id, new.title, new.category, new.notes,
            case when new.recur_months is not null then (new.due_on + make_interval(months => new.recur_months))::date else new.due_on end,
            case when new.recur_distance is not null then new.due_odometer + new.recur_distance else new.due_odometer end,
            new.odometer_unit, new.recur_months, new.recur_distance, 'open', new.dedupe_key, new.id);
    end if;
    return null;
end
$$;
comment on function app.tg_reminders_next_occurrence() is
    'AFTER UPDATE on reminders: marking a recurring reminder done opens the next one, due recur_months after its due date and/or recur_distance after its due odometer, with the same dedupe key.';
create or replace view api.reminders
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, title, category, notes, due_on, due_odometer, odometer_unit,
       recur_months, recur_distance, status, snoozed_until, dedupe_key, previous_id,
       created_at, updated_at, created_by, updated_by,
       null::numeric(9, 1) as due_hours, null::numeric(9, 1) as recur_hours, null::text as hour_meter
from app.reminders
where deleted_at is null;
comment on view api.reminders is
    'Reminders of the active tenant''s vehicles, by due date and/or due odometer. At most one open (or snoozed) reminder per vehicle and dedupe_key (409 otherwise). Marking a recurring reminder done opens the next one. Add select=*,urgency,projected_due_on for the computed fields; reminders_due lists what is due. DELETE moves a reminder to reminders_trash.';
create or replace function api.urgency(api.reminders)
returns text
language sql
stable
as $$
    select s.urgency
    from app.due_status($1.tenant_id, $1.vehicle_id, $1.due_on, $1.due_odometer, $1.odometer_unit) as s
$$;
comment on function api.urgency(api.reminders) is
    'Computed field of reminders: past_due, very_urgent, urgent or not_urgent, by the tenant''s thresholds (select=*,urgency).';

create or replace function api.projected_due_on(api.reminders)
returns date
language sql
stable
as $$
    select s.projected_due_on
    from app.due_status($1.tenant_id, $1.vehicle_id, $1.due_on, $1.due_odometer, $1.odometer_unit) as s
$$;
comment on function api.projected_due_on(api.reminders) is
    'Computed field of reminders: for a due odometer, the date it will be reached at the vehicle''s average daily distance over the last 90 days.';

create or replace view api.reminders_due
with (security_invoker = true)
as
with items as (
    select 'reminder'::text as source, r.tenant_id, r.id, r.vehicle_id, r.title, r.category,
           r.due_on, r.due_odometer, r.odometer_unit
    from app.reminders as r
    where r.deleted_at is null
      and (r.status = 'open' or (r.status = 'snoozed' and r.snoozed_until <= current_date))
    union all
    select 'maintenance'::text, m.tenant_id, m.id, m.vehicle_id,
           coalesce(m.description, replace(m.type, '_', ' ')), m.type,
           m.due_on, m.due_odometer, m.odometer_unit
    from app.maintenance as m
    where m.deleted_at is null
      and m.status = 'scheduled'
)
select i.source, i.id, i.vehicle_id, v.display_name as vehicle_name, i.title, i.category,
       i.due_on, i.due_odometer, i.odometer_unit, v.odometer_reading as vehicle_odometer,
       s.days_left, s.distance_left, s.projected_due_on, s.urgency,
       null::numeric(9, 1) as due_hours, null::text as hour_meter, null::numeric as hours_left
from items as i
join app.vehicles as v on v.tenant_id = i.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
cross join lateral app.due_status(i.tenant_id, i.vehicle_id, i.due_on, i.due_odometer, i.odometer_unit) as s
where s.urgency <> 'not_urgent'
order by app.urgency_rank(s.urgency), least(s.days_left, 2147483647), i.due_on, i.id;
comment on view api.reminders_due is
    'What is due across the active tenant''s vehicles: open reminders (and snoozed ones whose snooze has ended) and scheduled maintenance that are past_due, very_urgent or urgent by the tenant''s thresholds, most urgent first, with days and distance left and, for odometer-based items, a projected due date.';

create or replace function app.daily_km(tenant uuid, vehicle uuid, as_of date)
returns numeric
language sql
stable
as $$
    with since_reset as (
        select coalesce(max(r.read_at), '-infinity') as start_at
        from app.odometer_readings as r
        where r.tenant_id = tenant
          and r.vehicle_id = vehicle
          and r.is_reset
          and r.read_at <= as_of + 1
    )
    select (max(r.odometer_km) - min(r.odometer_km))
           / nullif(extract(epoch from max(r.read_at) - min(r.read_at)) / 86400, 0)
    from app.odometer_readings as r, since_reset as s
    where r.tenant_id = tenant
      and r.vehicle_id = vehicle
      and r.read_at >= greatest((as_of - 90)::timestamp, s.start_at)
      and r.read_at < (as_of + 1)::timestamp
$$;
comment on function app.daily_km(uuid, uuid, date) is
    'Average distance per day (km) of a vehicle over its readings of the 90 days up to as_of (since the last reset), or NULL with fewer than two readings on different days.';

drop function api.hours_left(api.reminders);
drop function app.more_urgent(text, text);
drop function app.hours_due_status(uuid, uuid, numeric, text, date);

commit;
