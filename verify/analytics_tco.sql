-- Verify motovault:analytics_tco on pg

select tenant_id, vehicle_id, month, currency, energy, maintenance, expenses, depreciation, total, unconverted,
       distance_km, cost_per_100km
from analytics.vehicle_tco_months where false;
select tenant_id, vehicle_id, year, total, cost_per_100km from analytics.vehicle_tco_years where false;
select tenant_id, month, vehicles, total, cost_per_100km from analytics.fleet_tco_months where false;
select tenant_id, year, vehicles, total, cost_per_100km from analytics.fleet_tco_years where false;
