-- Verify motovault:vehicle_month_costs on pg

select month, currency, fuel_cost, maintenance_cost, expense_cost, unconverted, distance, costs
from app.vehicle_month_costs(null, null) where false;
