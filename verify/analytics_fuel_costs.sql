-- Verify motovault:analytics_fuel_costs on pg

select tenant_id, vehicle_id, energy_kind, closed_on, month, distance_km, volume, volume_unit, fill_ups, has_figure,
       per_100km, no_figure_reason
from analytics.fuel_economy_intervals where false;
select tenant_id, vehicle_id, energy_kind, month, volume_unit, intervals, distance_km, volume, per_100km
from analytics.fuel_economy_months where false;
select tenant_id, vehicle_id, month, currency, fuel_cost, maintenance_cost, total_cost, distance_km, cost_per_100km,
       fuel_cost_per_100km
from analytics.cost_months where false;
select tenant_id, vehicle_id, source, category, due_on, days_left, km_left, urgency from analytics.maintenance_due where false;
select vehicle_id, month, currency, total_cost, cost_per_100_distance from api.vehicle_cost_months where false;
select 1 / has_table_privilege('analyst', 'analytics.cost_months', 'select')::int;
