-- Deploy motovault:analytics_views to pg
-- requires: vehicle_images
--
-- Views for analysts (role analyst, psql) in schema analytics, and the same figures for a
-- tenant through api.
--
--   * analytics views are plain views (not security_invoker) owned by the owner role: they read
--     the app tables with the owner's rights, and the owner role has the policy *_owner_role_all
--     on every tenant table, so they span all tenants. analyst gets SELECT on them and nothing
--     else: no app, api or audit table, no function.
--   * No personal data: no VIN, plate, names, notes, captions, storage keys, payloads (free
--     text), user ids, coordinates. tests/pgtap/analytics_privacy.sql walks the catalog and
--     fails when any analytics view grows such a column.
--   * Months are calendar months in UTC. Voided events and void markers are not counted.
--   * Tenants read their own figures through api views (security_invoker: RLS applies).

begin;

create view analytics.vehicles
as
select
    v.tenant_id,
    v.id as vehicle_id,
    t.kind as tenant_kind,
    v.make,
    v.model,
    v.year,
    v.odometer_reading,
    v.odometer_unit,
    v.is_active,
    date_trunc('month', v.created_at at time zone 'UTC')::date as created_month
from app.vehicles as v
join app.tenants as t on t.id = v.tenant_id
where v.deleted_at is null
  and t.deleted_at is null;
comment on view analytics.vehicles is
    'Live vehicles of all tenants without personal data (no VIN, plate, name, colour, notes): make, model, year, odometer, unit, active flag, month added.';

create view analytics.vehicle_event_months
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

create view analytics.fleet_overview
as
select
    t.id as tenant_id,
    t.kind as tenant_kind,
    date_trunc('month', t.created_at at time zone 'UTC')::date as tenant_created_month,
    coalesce(v.vehicles, 0) as vehicles,
    coalesce(v.active_vehicles, 0) as active_vehicles,
    coalesce(recent.events, 0) as events_last_30_days,
    last.occurred_at as last_event_at
from app.tenants as t
left join lateral (
    select count(*) as vehicles, count(*) filter (where vv.is_active) as active_vehicles
    from app.vehicles as vv
    where vv.tenant_id = t.id and vv.deleted_at is null
) as v on true
left join lateral (
    select count(*) as events
    from app.vehicle_events as e
    where e.tenant_id = t.id and e.occurred_at >= now() - interval '30 days' and e.type <> 'void'
) as recent on true
left join lateral (
    select e.occurred_at
    from app.vehicle_events as e
    where e.tenant_id = t.id and e.type <> 'void'
    order by e.occurred_at desc
    limit 1
) as last on true
where t.deleted_at is null;
comment on view analytics.fleet_overview is
    'One row per tenant (no names): kind, month created, live and active vehicles, events in the last 30 days, time of the latest event.';

grant select on analytics.vehicles, analytics.vehicle_event_months, analytics.fleet_overview to analyst;

-- the tenant's own figures ----------------------------------------------------------------------

create view api.fleet_overview
with (security_invoker = true)
as
select
    v.tenant_id,
    v.id as vehicle_id,
    v.display_name,
    v.make,
    v.model,
    v.year,
    v.is_active,
    v.odometer_reading,
    v.odometer_unit,
    last.occurred_at as last_event_at,
    last.type as last_event_type,
    coalesce(recent.events, 0) as events_last_30_days,
    img.id as primary_image_id
from app.vehicles as v
left join lateral (
    select e.occurred_at, e.type
    from app.vehicle_events as e
    where e.tenant_id = v.tenant_id and e.vehicle_id = v.id and e.type <> 'void'
    order by e.occurred_at desc, e.id desc
    limit 1
) as last on true
left join lateral (
    select count(*) as events
    from app.vehicle_events as e
    where e.tenant_id = v.tenant_id and e.vehicle_id = v.id
      and e.occurred_at >= now() - interval '30 days' and e.type <> 'void'
) as recent on true
left join app.vehicle_images as img
    on img.tenant_id = v.tenant_id and img.vehicle_id = v.id and img.is_primary and img.deleted_at is null
where v.deleted_at is null;
comment on view api.fleet_overview is
    'The active tenant''s fleet at a glance, one row per vehicle: name, make, model, odometer, latest event (time and type), events in the last 30 days, primary image.';
comment on column api.fleet_overview.events_last_30_days is 'Events (not counting void markers) in the last 30 days.';

create view api.vehicle_event_months
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

grant select on api.fleet_overview, api.vehicle_event_months to app_user;

commit;
