-- Deploy motovault:reminders to pg
-- requires: reminders@v1.2
--
-- Reworked after @v1.2: analytics.maintenance_due by hours as well. For items due at due_hours of an
-- hour meter: the hours left, the meter's hours per day (last 90 days since the last reset) and the
-- date it reaches due_hours at that trend (projected_due_on), as api.reminders_due computes them; the
-- urgency is the more urgent of date/distance and hours. Still PII-free: categories, ids, figures.
-- The columns are appended (a view keeps its columns in place).

begin;

set local lock_timeout = '5s';

create or replace view analytics.maintenance_due
as
with items as (
    select 'reminder'::text as source, r.tenant_id, r.vehicle_id, r.category, r.due_on, r.due_odometer, r.odometer_unit,
           r.due_hours, r.hour_meter
    from app.reminders as r
    where r.deleted_at is null
      and (r.status = 'open' or (r.status = 'snoozed' and r.snoozed_until <= current_date))
    union all
    select 'maintenance', m.tenant_id, m.vehicle_id, m.type, m.due_on, m.due_odometer, m.odometer_unit,
           m.due_hours, m.hour_meter
    from app.maintenance as m
    where m.deleted_at is null and m.status = 'scheduled'
),
measured as (
    select i.*,
           i.due_on - current_date as days_left,
           i.due_odometer * case i.odometer_unit when 'mi' then 1.609344 else 1 end
               - v.odometer_reading * case v.odometer_unit when 'mi' then 1.609344 else 1 end as km_left,
           i.due_hours - h.latest as hours_left,
           h.per_day as hours_per_day,
           coalesce(s.reminder_urgent_days, 30) as urgent_days,
           coalesce(s.reminder_very_urgent_days, 7) as very_urgent_days,
           coalesce(s.reminder_urgent_km, 1500) as urgent_km,
           coalesce(s.reminder_very_urgent_km, 500) as very_urgent_km
    from items as i
    join app.vehicles as v on v.tenant_id = i.tenant_id and v.id = i.vehicle_id and v.deleted_at is null
    left join app.tenant_settings as s on s.tenant_id = i.tenant_id and s.deleted_at is null
    -- the hour meter (inline, not app.hours_due_status: functions of a view run as the analyst, who
    -- reads no app table): the latest reading and the hours per day over the readings of the last
    -- 90 days since the last reset, as app.latest_hours and app.daily_hours compute them
    left join lateral (
        select (select r.hours
                from app.hour_readings as r
                where r.tenant_id = i.tenant_id and r.vehicle_id = i.vehicle_id and r.meter = i.hour_meter
                  and r.deleted_at is null
                order by r.read_at desc, r.hours desc
                limit 1) as latest,
               (select (max(r.hours) - min(r.hours))
                       / nullif(extract(epoch from max(r.read_at) - min(r.read_at)) / 86400, 0)
                from app.hour_readings as r
                where r.tenant_id = i.tenant_id and r.vehicle_id = i.vehicle_id and r.meter = i.hour_meter
                  and r.deleted_at is null
                  and r.read_at < (current_date + 1)::timestamp
                  and r.read_at >= greatest((current_date - 90)::timestamp, coalesce((
                      select max(z.read_at)
                      from app.hour_readings as z
                      where z.tenant_id = i.tenant_id and z.vehicle_id = i.vehicle_id and z.meter = i.hour_meter
                        and z.kind = 'reset' and z.deleted_at is null
                        and z.read_at < (current_date + 1)::timestamp), '-infinity'))) as per_day
        where i.due_hours is not null
    ) as h on true
),
projected as (
    select m.*,
           case
               when m.hours_left <= 0 then current_date
               when m.hours_left > 0 then current_date + ceil(m.hours_left / nullif(m.hours_per_day, 0))::integer
           end as hours_due_on
    from measured as m
)
select
    tenant_id,
    vehicle_id,
    source,
    category,
    due_on,
    days_left,
    round(km_left) as km_left,
    (array['past_due', 'very_urgent', 'urgent', 'not_urgent'])[least(
        case
            when days_left < 0 or km_left < 0 then 1
            when days_left <= very_urgent_days or km_left <= very_urgent_km then 2
            when days_left <= urgent_days or km_left <= urgent_km then 3
            else 4
        end,
        case
            when hours_left < 0 then 1
            when hours_due_on - current_date <= very_urgent_days then 2
            when hours_due_on - current_date <= urgent_days then 3
            else 4
        end)] as urgency,
    hour_meter,
    due_hours,
    hours_left,
    round(hours_per_day, 2) as hours_per_day,
    hours_due_on as projected_due_on
from projected;
comment on view analytics.maintenance_due is
    'Open reminders and scheduled maintenance of every live vehicle (category only: titles and notes are free text and left out): days, km and hours left, the date the hour meter reaches due_hours at its usage trend (hours per day over the last 90 days since the last reset), and the urgency by the tenant''s thresholds (past_due, very_urgent, urgent, not_urgent; the more urgent of date/distance and hours).';
grant select on analytics.maintenance_due to analyst;

commit;
