-- Activity per calendar month over the last two years: events by kind and distance driven (km).
select
    month,
    count(distinct vehicle_id) as active_vehicles,
    sum(events) as events,
    sum(fuel_events) as fuel_events,
    sum(maintenance_events) as maintenance_events,
    round(sum(distance_km)) as distance_km
from analytics.vehicle_event_months
where month >= date_trunc('month', now() - interval '2 years')
group by month
order by month;
