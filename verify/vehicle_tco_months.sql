-- Verify motovault:vehicle_tco_months on pg

select month, currency, energy, maintenance, expenses, depreciation, total, unconverted, distance, cost_per_100
from app.vehicle_tco_months(null, null) where false;
