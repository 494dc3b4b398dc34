-- Verify motovault:vehicle_event_months on pg

select tenant_id, vehicle_id, month, events, distance_km from analytics.vehicle_event_months where false;
select tenant_id, vehicle_id, month, events, distance from api.vehicle_event_months where false;
