-- Revert motovault:tires from pg

begin;

drop view api.tire_wear;
drop view api.tire_set_status;
drop function api.restore_tread_measurement(uuid);
drop view api.tread_measurements_trash;
drop view api.tread_measurements;
drop function api.restore_tire_mount(uuid);
drop view api.tire_mounts_trash;
drop view api.tire_mounts;
drop function api.restore_tire(uuid);
drop view api.tires_trash;
drop view api.tires;
drop function api.restore_tire_set(uuid);
drop view api.tire_sets_trash;
drop view api.tire_sets;
drop function app.tire_set_km(uuid, uuid, date, integer, text);
drop table app.tread_measurements;
drop function app.tg_tread_measurements_prepare();
drop table app.tire_mounts;
drop function app.tg_tire_mounts_guard();
drop function app.tire_mounts_problem(uuid, uuid[]);
drop function app.tg_tire_mounts_prepare();
drop table app.tires;
drop function app.tg_tires_positions_guard();
drop table app.tire_sets;
drop function app.tg_tire_sets_input();
drop function app.dot_code_problem(text, date);
drop function app.dot_manufactured_on(text);

commit;
