-- Revert motovault:vehicle_images from pg

begin;

drop function api.set_primary_image(uuid);
drop function api.restore_vehicle_image(uuid);
drop view api.vehicle_images_trash;
drop view api.vehicle_images;
drop table app.vehicle_images;
drop function app.tg_vehicle_images_emit_event();
drop function app.tg_vehicle_images_prepare();

commit;
