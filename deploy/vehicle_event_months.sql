-- Deploy motovault:vehicle_event_months to pg
-- requires: vehicle_events
--
-- Events per vehicle and calendar month (UTC): across tenants for analysts (no personal data), per
-- tenant through the API. Voided events and void markers are not counted.

begin;

set local lock_timeout = '5s';

create or replace view analytics.vehicle_event_months
as
select
    e.tenant_id,
    e.vehicle_id,
    date_trunc('month', e.occurred_at at time zone 'UTC')::date as month,
    count(*) as events,
    count(*) filter (where e.type = 'fuel') as fuel_events,
    count(*) filter (where e.type = 'maintenance') as maintenance_events,
    count(*) filter (where e.type in ('odometer', 'odometer_reset')) as odometer_events,
    count(*) filter (where e.type not in ('fuel', 'maintenance', 'odometer', 'odometer_reset')) as other_events,
    min(e.odometer) as odometer_min,
    max(e.odometer) as odometer_max,
    min(e.odometer_unit) as odometer_unit,
    max(e.odometer) - min(e.odometer) as distance,
    round((max(e.odometer) - min(e.odometer)) * case min(e.odometer_unit) when 'mi' then 1.609344 else 1 end, 1) as distance_km
from app.vehicle_events as e
join app.vehicles as v on v.tenant_id = e.tenant_id and v.id = e.vehicle_id and v.deleted_at is null
where e.type <> 'void'
  and not exists (
      select from app.vehicle_event_voids as x
      where x.tenant_id = e.tenant_id and x.voided_event_id = e.id
  )
group by e.tenant_id, e.vehicle_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date;
comment on view analytics.vehicle_event_months is
    'Events per vehicle and calendar month (UTC) across tenants, by kind, with the odometer range and the distance it spans (in the vehicle''s unit and in km; an odometer_reset within a month makes the range meaningless). Voided events are not counted.';
grant select on analytics.vehicle_event_months to analyst;

create or replace view api.vehicle_event_months
with (security_invoker = true)
as
select
    e.tenant_id,
    e.vehicle_id,
    date_trunc('month', e.occurred_at at time zone 'UTC')::date as month,
    count(*) as events,
    count(*) filter (where e.type = 'fuel') as fuel_events,
    count(*) filter (where e.type = 'maintenance') as maintenance_events,
    count(*) filter (where e.type in ('odometer', 'odometer_reset')) as odometer_events,
    count(*) filter (where e.type not in ('fuel', 'maintenance', 'odometer', 'odometer_reset')) as other_events,
    min(e.odometer) as odometer_min,
    max(e.odometer) as odometer_max,
    max(e.odometer) - min(e.odometer) as distance
from app.vehicle_events as e
where e.type <> 'void'
  and not exists (
      select from app.vehicle_event_voids as x
      where x.tenant_id = e.tenant_id and x.voided_event_id = e.id
  )
group by e.tenant_id, e.vehicle_id, date_trunc('month', e.occurred_at at time zone 'UTC')::date;
comment on view api.vehicle_event_months is
    'The active tenant''s events per vehicle and calendar month (UTC), by kind, with the odometer range (distance in the vehicle''s unit). Filter by vehicle_id and month.';
grant select on api.vehicle_event_months to app_user;
select app.protect_read_only_view('api.vehicle_event_months');

commit;
