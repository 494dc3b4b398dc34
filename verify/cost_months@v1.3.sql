-- Verify motovault:cost_months on pg

select tenant_id, vehicle_id, month, currency, total_cost, cost_per_100km, expense_cost, unconverted
from analytics.cost_months where false;
select tenant_id, vehicle_id, month, currency, total_cost, cost_per_100_distance, expense_cost, unconverted
from api.vehicle_cost_months where false;
