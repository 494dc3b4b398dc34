-- Verify motovault:fleet_overview on pg

select tenant_id, vehicle_id, make, model, year from analytics.vehicles where false;
select tenant_id, vehicles, events_last_30_days, last_event_at from analytics.fleet_overview where false;
select vehicle_id, last_event_at, last_event_type, events_last_30_days, primary_image_id from api.fleet_overview where false;
