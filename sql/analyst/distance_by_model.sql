-- Average monthly distance (km) per make and model, for models with at least 3 vehicle-months.
select
    v.make,
    v.model,
    count(distinct v.vehicle_id) as vehicles,
    count(*) as vehicle_months,
    round(avg(m.distance_km), 1) as avg_km_per_month
from analytics.vehicle_event_months as m
join analytics.vehicles as v on v.tenant_id = m.tenant_id and v.vehicle_id = m.vehicle_id
where m.distance_km is not null
group by v.make, v.model
having count(*) >= 3
order by avg_km_per_month desc;
