-- Deploy motovault:fleet_overview to pg
-- requires: vehicle_events
-- requires: vehicle_images
--
-- The fleet at a glance: per vehicle for a tenant (api.fleet_overview), per tenant for analysts
-- (analytics.fleet_overview), and the analysts' vehicles without personal data (analytics.vehicles).
-- The latest event comes from the 30-day window that is counted anyway (the two newest months'
-- partitions); only a vehicle (tenant) without an event in it looks further back.

begin;

set local lock_timeout = '5s';

create or replace view analytics.vehicles
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

create or replace view analytics.fleet_overview
as
select
    t.id as tenant_id,
    t.kind as tenant_kind,
    date_trunc('month', t.created_at at time zone 'UTC')::date as tenant_created_month,
    coalesce(v.vehicles, 0) as vehicles,
    coalesce(v.active_vehicles, 0) as active_vehicles,
    recent.events as events_last_30_days,
    coalesce(recent.last_event_at, older.occurred_at) as last_event_at
from app.tenants as t
left join lateral (
    select count(*) as vehicles, count(*) filter (where vv.is_active) as active_vehicles
    from app.vehicles as vv
    where vv.tenant_id = t.id and vv.deleted_at is null
) as v on true
cross join lateral (
    select count(*) as events, max(e.occurred_at) as last_event_at
    from app.vehicle_events as e
    where e.tenant_id = t.id
      and e.occurred_at >= now() - interval '30 days'
      and e.type <> 'void'
) as recent
left join lateral (
    -- only for a tenant without events in the window: its latest event is older
    select e.occurred_at
    from app.vehicle_events as e
    where recent.events = 0
      and e.tenant_id = t.id
      and e.type <> 'void'
    order by e.occurred_at desc
    limit 1
) as older on true
where t.deleted_at is null;
comment on view analytics.fleet_overview is
    'One row per tenant (no names): kind, month created, live and active vehicles, events in the last 30 days, time of the latest event.';
grant select on analytics.vehicles, analytics.fleet_overview to analyst;

create or replace view api.fleet_overview
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
    coalesce(recent.last_event_at, older.occurred_at) as last_event_at,
    coalesce(recent.last_event_type, older.type) as last_event_type,
    recent.events as events_last_30_days,
    img.id as primary_image_id
from app.vehicles as v
cross join lateral (
    select
        count(*) as events,
        max(e.occurred_at) as last_event_at,
        (array_agg(e.type order by e.occurred_at desc, e.id desc))[1] as last_event_type
    from app.vehicle_events as e
    where e.tenant_id = v.tenant_id
      and e.vehicle_id = v.id
      and e.occurred_at >= now() - interval '30 days'
      and e.type <> 'void'
) as recent
left join lateral (
    -- only for a vehicle without events in the window: its latest event is older
    select e.occurred_at, e.type
    from app.vehicle_events as e
    where recent.events = 0
      and e.tenant_id = v.tenant_id
      and e.vehicle_id = v.id
      and e.type <> 'void'
    order by e.occurred_at desc, e.id desc
    limit 1
) as older on true
left join app.vehicle_images as img
    on img.tenant_id = v.tenant_id and img.vehicle_id = v.id and img.is_primary and img.deleted_at is null
where v.deleted_at is null;
comment on view api.fleet_overview is
    'The active tenant''s fleet at a glance, one row per vehicle: name, make, model, odometer, latest event (time and type), events in the last 30 days, primary image.';
comment on column api.fleet_overview.events_last_30_days is 'Events (not counting void markers) in the last 30 days.';
grant select on api.fleet_overview to app_user;
select app.protect_read_only_view('api.fleet_overview');

commit;
