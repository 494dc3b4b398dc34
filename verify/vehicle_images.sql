-- Verify motovault:vehicle_images on pg

select tenant_id, id, vehicle_id, storage_key, content_type, bytes, sha256, width, height, caption, is_primary, taken_at, deleted_at
from app.vehicle_images
where false;
select id from api.vehicle_images where false;
select id, deleted_at from api.vehicle_images_trash where false;
select 'api.restore_vehicle_image(uuid)'::regprocedure, 'api.set_primary_image(uuid)'::regprocedure;
