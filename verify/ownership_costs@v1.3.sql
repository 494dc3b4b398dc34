-- Verify motovault:ownership_costs on pg

select tenant_id, id, vehicle_id, purchased_on, purchase_price, currency, sold_on, sale_price, deleted_at
from app.vehicle_ownership
where false;
select id from api.vehicle_ownership where false;
select id, deleted_at from api.vehicle_ownership_trash where false;
select per_day, per_distance from api.vehicle_depreciation where false;
select month, energy, maintenance, expenses, depreciation, total, cost_per_100 from api.vehicle_tco_months where false;
select year, total from api.vehicle_tco_years where false;
select month, vehicles, total from api.fleet_tco_months where false;
