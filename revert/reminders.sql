-- Revert motovault:reminders from pg: back to its @v1.2 definitions
-- requires: reminders@v1.2
--
-- analytics.maintenance_due as @v1.2 has it (the @v1.1 definition): dropped and created again, since a
-- view cannot lose the columns the rework appended.

begin;

set local lock_timeout = '5s';

drop view analytics.maintenance_due;
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
