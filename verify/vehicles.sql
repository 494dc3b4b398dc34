-- Verify motovault:vehicles on pg

select tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
       odometer_reading, odometer_unit, is_active, notes, created_at, updated_at, created_by, updated_by, deleted_at,
       trim, body_class, vehicle_type, fuel_types, engine_cylinders, engine_displacement_l, engine_power_kw,
       drive_type, manufacturer, plant_country, vin_decoded_at, vin_decode_source, vin_filled
from app.vehicles
where false;
select id, vin_decoded_at from api.vehicles where false;
select id, deleted_at from api.vehicles_trash where false;
select 'api.restore_vehicle(uuid)'::regprocedure, 'app.vehicle_default_name(integer, text, text)'::regprocedure;
