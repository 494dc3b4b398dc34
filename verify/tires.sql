-- Verify motovault:tires on pg

select tenant_id, id, vehicle_id, brand, size, season, dot_code, manufactured_on, deleted_at from app.tire_sets where false;
select tenant_id, id, tire_set_id, label, position, deleted_at from app.tires where false;
select tenant_id, id, tire_set_id, vehicle_id, mounted_on, mount_odometer, dismounted_on, dismount_odometer, deleted_at
from app.tire_mounts
where false;
select tenant_id, id, tire_id, measured_on, depth_mm, position, deleted_at from app.tread_measurements where false;
select tire_set_id, distance_km, age_warning, rotation_urgency from api.tire_set_status where false;
select tire_id, km_to_legal_min, projected_legal_min_on from api.tire_wear where false;
select 'app.dot_code_problem(text, date)'::regprocedure;
