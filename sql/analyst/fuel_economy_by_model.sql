-- Consumption per 100 km by make, model and energy kind (litres, kWh or kg), over intervals with a figure.
select
    v.make,
    v.model,
    e.energy_kind,
    e.volume_unit,
    count(*) as intervals,
    round(100 * sum(e.volume) / sum(e.distance_km), 2) as per_100km
from analytics.fuel_economy_intervals as e
join analytics.vehicles as v on v.tenant_id = e.tenant_id and v.vehicle_id = e.vehicle_id
where e.has_figure
group by v.make, v.model, e.energy_kind, e.volume_unit
order by e.energy_kind, per_100km;
