-- Deploy motovault:reminders to pg
-- requires: tenant_settings
-- requires: maintenance
-- requires: odometer_readings
--
-- Reminders by date and/or odometer, recurring, deduplicated (at most one open or snoozed
-- reminder per vehicle and dedupe key), with an urgency that is computed, never stored:
-- past_due, very_urgent, urgent, not_urgent. Thresholds (days and km) are per tenant in
-- app.tenant_settings (defaults apply when a tenant has no row). Odometer-based reminders
-- get a projected due date from the vehicle's average daily distance over the last 90 days.
-- api.reminders_due lists what is due (open reminders and scheduled maintenance).
-- analytics.maintenance_due is the analysts' view of what is due (categories only, no free text).

begin;

set local lock_timeout = '5s';

create table app.reminders (
    tenant_id uuid not null default app.current_tenant_id(),
    id uuid not null default app.uuid_v7(),
    vehicle_id uuid not null,
    title text not null,
    category text not null default 'maintenance',
    notes text,
    due_on date,
    due_odometer integer,
    odometer_unit text not null,
    recur_months integer,
    recur_distance integer,
    status text not null default 'open',
    snoozed_until date,
    dedupe_key text not null,
    previous_id uuid,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    created_by uuid,
    updated_by uuid,
    deleted_at timestamptz,
    constraint reminders_pkey primary key (tenant_id, id),
    constraint reminders_title_not_blank check (char_length(btrim(title)) between 1 and 200),
    constraint reminders_category_known
        check (category in ('maintenance', 'inspection', 'registration', 'insurance', 'tax', 'warranty', 'recall',
                            'tires', 'license', 'other')),
    constraint reminders_due_date_or_odometer check (due_on is not null or due_odometer is not null),
    constraint reminders_due_odometer_not_negative check (due_odometer >= 0),
    constraint reminders_odometer_unit_known check (odometer_unit in ('mi', 'km')),
    constraint reminders_recur_months_range check (recur_months between 1 and 240),
    constraint reminders_recur_distance_positive check (recur_distance > 0),
    constraint reminders_recur_months_needs_due_on check (recur_months is null or due_on is not null),
    constraint reminders_recur_distance_needs_due_odometer check (recur_distance is null or due_odometer is not null),
    constraint reminders_status_known check (status in ('open', 'snoozed', 'done', 'dismissed')),
    constraint reminders_snoozed_until_iff_snoozed check ((status = 'snoozed') = (snoozed_until is not null)),
    constraint reminders_dedupe_key_length check (char_length(dedupe_key) between 1 and 200),
    constraint reminders_notes_length check (notes is null or char_length(notes) <= 10000),
    constraint reminders_due_on_range
        check (due_on between date '1886-01-01' and date '9999-12-31'),
    constraint reminders_snoozed_until_range
        check (snoozed_until between date '1886-01-01' and date '9999-12-31')
);
comment on table app.reminders is
    'Reminders by date and/or odometer, recurring, with a dedupe key (MotoMind reminders). Urgency is computed, never stored.';
select app.distribute_table('app.reminders', 'tenant');
alter table app.reminders
    add constraint reminders_tenant_fk foreign key (tenant_id)
        references app.tenants (id) on delete cascade,
    add constraint reminders_vehicle_fk foreign key (tenant_id, vehicle_id)
        references app.vehicles (tenant_id, id) on delete cascade,
    add constraint reminders_previous_fk foreign key (tenant_id, previous_id)
        references app.reminders (tenant_id, id);
create trigger _300_clear_reminders_previous_id before delete on app.reminders
    for each row execute function app.tg_clear_references('app.reminders', 'previous_id');

create unique index reminders_one_open_per_dedupe_key on app.reminders (tenant_id, vehicle_id, dedupe_key)
    where status in ('open', 'snoozed') and deleted_at is null;
create index reminders_vehicle_fk_idx on app.reminders (tenant_id, vehicle_id);
create index reminders_active_idx on app.reminders (tenant_id, due_on)
    where status in ('open', 'snoozed') and deleted_at is null;
create index reminders_previous_idx on app.reminders (tenant_id, previous_id) where previous_id is not null;

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
create trigger _200_prepare before insert or update on app.reminders
    for each row execute function app.tg_reminders_prepare();

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
create trigger _300_next_occurrence after update of status on app.reminders
    for each row execute function app.tg_reminders_next_occurrence();

-- reminders_prepare clears snoozed_until on a reminder that is not snoozed, before any CHECK runs: an
-- out-of-range snooze sent to an open reminder would be dropped silently. Refused the same either way.
create or replace function app.tg_reminders_snoozed_until_in_range()
returns trigger
language plpgsql
as $$
begin
    if new.snoozed_until is not null and not (new.snoozed_until between date '1886-01-01' and date '9999-12-31') then
        raise exception using
            errcode = 'check_violation',
            constraint = 'reminders_snoozed_until_range',
            column = 'snoozed_until',
            message = format('snoozed_until: %s is outside 1886-01-01 .. 9999-12-31', new.snoozed_until),
            hint = 'Snooze until a calendar date (YYYY-MM-DD).';
    end if;
    return new;
end
$$;
comment on function app.tg_reminders_snoozed_until_in_range() is
    'BEFORE INSERT OR UPDATE on reminders (_100_input_range: fires before _200_prepare, which clears snoozed_until on reminders that are not snoozed): refuses a snoozed_until outside 1886-01-01 .. 9999-12-31 whatever the status.';
create trigger _100_input_range before insert or update on app.reminders
    for each row execute function app.tg_reminders_snoozed_until_in_range();

select app.enable_tenant_rules('app.reminders');

-- urgency ----------------------------------------------------------------------------------------

create or replace function app.urgency(
    days_left integer,
    km_left numeric,
    urgent_days integer,
    very_urgent_days integer,
    urgent_km numeric,
    very_urgent_km numeric
)
returns text
language sql
immutable
parallel safe
return case
    when days_left < 0 or km_left < 0 then 'past_due'
    when days_left <= very_urgent_days or km_left <= very_urgent_km then 'very_urgent'
    when days_left <= urgent_days or km_left <= urgent_km then 'urgent'
    else 'not_urgent'
end;
comment on function app.urgency(integer, numeric, integer, integer, numeric, numeric) is
    'past_due when the due date has passed or the due odometer is exceeded; very_urgent / urgent when days left or km left are at most the threshold; otherwise not_urgent. Whichever of date and distance is closer decides.';

create or replace function app.urgency_rank(urgency text)
returns integer
language sql
immutable
parallel safe
return array_position(array['past_due', 'very_urgent', 'urgent', 'not_urgent'], urgency);
comment on function app.urgency_rank(text) is 'Sort order of urgencies: 1 past_due .. 4 not_urgent.';

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

create or replace function app.due_status(
    tenant uuid,
    vehicle uuid,
    due_on date,
    due_odometer integer,
    odometer_unit text,
    as_of date default current_date
)
returns table (days_left integer, distance_left integer, projected_due_on date, urgency text)
language sql
stable
as $$
    select d.days_left,
           d.distance_left,
           p.projected_due_on,
           app.urgency(d.days_left, d.km_left, s.urgent_days, s.very_urgent_days, s.urgent_km, s.very_urgent_km)
    from app.vehicles as v
    cross join lateral (
        select coalesce(max(ts.reminder_urgent_days), 30) as urgent_days,
               coalesce(max(ts.reminder_very_urgent_days), 7) as very_urgent_days,
               coalesce(max(ts.reminder_urgent_km), 1500) as urgent_km,
               coalesce(max(ts.reminder_very_urgent_km), 500) as very_urgent_km
        from app.tenant_settings as ts
        where ts.tenant_id = due_status.tenant
          and ts.deleted_at is null
    ) as s
    cross join lateral (
        select due_status.due_on - due_status.as_of as days_left,
               app.distance_in_km(due_status.due_odometer, due_status.odometer_unit)
                   - app.distance_in_km(v.odometer_reading, v.odometer_unit) as km_left,
               round(due_status.due_odometer - case
                   when due_status.odometer_unit = v.odometer_unit then v.odometer_reading
                   else app.distance_in_km(v.odometer_reading, v.odometer_unit) / app.distance_in_km(1, due_status.odometer_unit)
               end)::integer as distance_left
    ) as d
    cross join lateral (
        select case
                   when d.km_left is null then null
                   when d.km_left <= 0 then due_status.as_of
                   else due_status.as_of + ceil(d.km_left / nullif(app.daily_km(due_status.tenant, due_status.vehicle, due_status.as_of), 0))::integer
               end as projected_due_on
    ) as p
    where v.tenant_id = due_status.tenant
      and v.id = due_status.vehicle
$$;
comment on function app.due_status(uuid, uuid, date, integer, text, date) is
    'For something due on a date and/or at an odometer reading of a vehicle: days left, distance left (in odometer_unit), projected due date for odometer-based items (average daily distance of the last 90 days) and urgency by the tenant''s thresholds.';

create or replace view api.reminders
with (security_invoker = true)
as
select tenant_id, id, vehicle_id, title, category, notes, due_on, due_odometer, odometer_unit,
       recur_months, recur_distance, status, snoozed_until, dedupe_key, previous_id,
       created_at, updated_at, created_by, updated_by
from app.reminders
where deleted_at is null;
comment on view api.reminders is
    'Reminders of the active tenant''s vehicles, by due date and/or due odometer. At most one open (or snoozed) reminder per vehicle and dedupe_key (409 otherwise). Marking a recurring reminder done opens the next one. Add select=*,urgency,projected_due_on for the computed fields; reminders_due lists what is due. DELETE moves a reminder to reminders_trash.';
comment on column api.reminders.category is 'maintenance, inspection, registration, insurance, tax, warranty, recall, tires, license or other.';
comment on column api.reminders.due_odometer is 'Due at this odometer reading (in odometer_unit, the vehicle''s by default).';
comment on column api.reminders.recur_months is 'Repeat every N months (1-240) after the due date; needs due_on.';
comment on column api.reminders.recur_distance is 'Repeat every N distance units after the due odometer; needs due_odometer.';
comment on column api.reminders.status is 'open, snoozed (with snoozed_until), done or dismissed.';
comment on column api.reminders.dedupe_key is 'Deduplication key, default category:title in lower case; one open or snoozed reminder per vehicle and key.';

select app.create_trash_api('api.reminders', 'reminder', 'reminders', '409 if an open one with the same dedupe key exists now');

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
       s.days_left, s.distance_left, s.projected_due_on, s.urgency
from items as i
join app.vehicles as v on v.tenant_id = i.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
cross join lateral app.due_status(i.tenant_id, i.vehicle_id, i.due_on, i.due_odometer, i.odometer_unit) as s
where s.urgency <> 'not_urgent'
order by app.urgency_rank(s.urgency), least(s.days_left, 2147483647), i.due_on, i.id;
comment on view api.reminders_due is
    'What is due across the active tenant''s vehicles: open reminders (and snoozed ones whose snooze has ended) and scheduled maintenance that are past_due, very_urgent or urgent by the tenant''s thresholds, most urgent first, with days and distance left and, for odometer-based items, a projected due date.';

grant select, insert, update on api.reminders to app_user;  -- delete: app.create_trash_api
grant select on api.reminders_due to app_user;
grant execute on function
    app.urgency(integer, numeric, integer, integer, numeric, numeric),
    app.urgency_rank(text),
    app.daily_km(uuid, uuid, date),
    app.due_status(uuid, uuid, date, integer, text, date),
    api.urgency(api.reminders),
    api.projected_due_on(api.reminders)
    to app_user;
select app.protect_read_only_view('api.reminders_due');

create or replace view analytics.maintenance_due
as
with items as (
    select 'reminder'::text as source, r.tenant_id, r.vehicle_id, r.category, r.due_on, r.due_odometer, r.odometer_unit
    from app.reminders as r
    where r.deleted_at is null
      and (r.status = 'open' or (r.status = 'snoozed' and r.snoozed_until <= current_date))
    union all
    select 'maintenance', m.tenant_id, m.vehicle_id, m.type, m.due_on, m.due_odometer, m.odometer_unit
    from app.maintenance as m
    where m.deleted_at is null and m.status = 'scheduled'
),
measured as (
    select i.*,
           i.due_on - current_date as days_left,
           i.due_odometer * case i.odometer_unit when 'mi' then 1.609344 else 1 end
               - v.odometer_reading * case v.odometer_unit when 'mi' then 1.609344 else 1 end as km_left,
           coalesce(s.reminder_urgent_days, 30) as urgent_days,
           coalesce(s.reminder_very_urgent_days, 7) as very_urgent_days,
           coalesce(s.reminder_urgent_km, 1500) as urgent_km,
           coalesce(s.reminder_very_urgent_km, 500) as very_urgent_km
    from items as i
    join app.vehicles as v on v.tenant_id = i.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
    left join app.tenant_settings as s on s.tenant_id = i.tenant_id and s.deleted_at is null
)
select
    tenant_id,
    vehicle_id,
    source,
    category,
    due_on,
    days_left,
    round(km_left) as km_left,
    case
        when days_left < 0 or km_left < 0 then 'past_due'
        when days_left <= very_urgent_days or km_left <= very_urgent_km then 'very_urgent'
        when days_left <= urgent_days or km_left <= urgent_km then 'urgent'
        else 'not_urgent'
    end as urgency
from measured;
comment on view analytics.maintenance_due is
    'Open reminders and scheduled maintenance of every live vehicle (category only: titles and notes are free text and left out): days and km left and urgency by the tenant''s thresholds (past_due, very_urgent, urgent, not_urgent).';
grant select on analytics.maintenance_due to analyst;

commit;
