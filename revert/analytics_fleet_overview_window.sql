-- Revert motovault:analytics_fleet_overview_window from pg
--
-- Puts back analytics.fleet_overview as analytics_views defined it.

begin;

set local lock_timeout = '5s';

create or replace view analytics.fleet_overview
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

commit;
