-- Verify motovault:odometer_readings on pg

select tenant_id, vehicle_id, source, id, read_at, odometer, odometer_unit, odometer_km, is_reset
from app.odometer_readings
where false;
select vehicle_id, source, id, read_at, odometer, odometer_unit, is_reset from api.odometer_readings where false;
