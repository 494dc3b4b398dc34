-- Verify motovault:vehicles on pg

select tenant_id, id, garage_id, vin, display_name, make, model, year, color, license_plate,
       odometer_reading, odometer_unit, is_active, notes, created_at, updated_at, created_by, updated_by, deleted_at
from app.vehicles
where false;
select id from api.vehicles where false;
select id, deleted_at from api.vehicles_trash where false;
select 'api.restore_vehicle(uuid)'::regprocedure;
