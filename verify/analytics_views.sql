-- Verify motovault:analytics_views on pg

select tenant_id, vehicle_id, tenant_kind, make, model, year, odometer_reading, odometer_unit, is_active, created_month
from analytics.vehicles where false;
select tenant_id, vehicle_id, month, events, fuel_events, maintenance_events, odometer_events, other_events,
       odometer_min, odometer_max, odometer_unit, distance, distance_km
from analytics.vehicle_event_months where false;
select tenant_id, tenant_kind, tenant_created_month, vehicles, active_vehicles, events_last_30_days, last_event_at
from analytics.fleet_overview where false;
select vehicle_id, last_event_at, events_last_30_days, primary_image_id from api.fleet_overview where false;
select vehicle_id, month, events from api.vehicle_event_months where false;
select 1 / has_table_privilege('analyst', 'analytics.fleet_overview', 'select')::int;
