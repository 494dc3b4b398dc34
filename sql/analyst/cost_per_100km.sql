-- Cost per 100 km by tenant kind and currency over the last 12 months: fuel, maintenance, total.
select
    f.tenant_kind,
    c.currency,
    count(distinct c.vehicle_id) as vehicles,
    sum(c.fuel_cost) as fuel_cost,
    sum(c.maintenance_cost) as maintenance_cost,
    round(sum(c.distance_km)) as distance_km,
    round(100 * sum(c.fuel_cost) / nullif(sum(c.distance_km), 0), 2) as fuel_per_100km,
    round(100 * sum(c.total_cost) / nullif(sum(c.distance_km), 0), 2) as total_per_100km
from analytics.cost_months as c
join analytics.fleet_overview as f on f.tenant_id = c.tenant_id
where c.month >= date_trunc('month', now() - interval '12 months')
group by f.tenant_kind, c.currency
order by f.tenant_kind, c.currency;
