-- Verify motovault:vehicles_decoded on pg

select trim, body_class, vehicle_type, fuel_types, engine_cylinders, engine_displacement_l, engine_power_kw,
       drive_type, manufacturer, plant_country, vin_decoded_at, vin_decode_source, vin_filled
from app.vehicles
where false;
select trim, body_class, vehicle_type, fuel_types, engine_cylinders, engine_displacement_l, engine_power_kw,
       drive_type, manufacturer, plant_country, vin_decoded_at, vin_decode_source, vin_filled
from api.vehicles
where false;
select trim, vin_decoded_at from api.vehicles_trash where false;
select 'app.vehicle_default_name(integer, text, text)'::regprocedure;
