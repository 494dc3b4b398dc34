-- Tenants by kind: how many vehicles they keep and how active they are (last 30 days).
select
    tenant_kind,
    count(*) as tenants,
    sum(vehicles) as vehicles,
    round(avg(vehicles), 1) as avg_vehicles_per_tenant,
    sum(events_last_30_days) as events_last_30_days,
    max(last_event_at) as latest_event
from analytics.fleet_overview
group by tenant_kind
order by tenant_kind;
