-- Revert motovault:fuel_logs from pg

begin;

drop function api.restore_fuel_log(uuid);
drop view api.fuel_logs_trash;
drop view api.fuel_logs;
drop table app.fuel_logs;
drop function app.tg_fuel_logs_prepare();
drop function app.distance_in_km(numeric, text);
drop function app.volume_in_base_unit(numeric, text);
drop function app.energy_kind(text);

commit;
