-- Revert motovault:energy_sources from pg

begin;

drop view analytics.energy_sources;
drop function api.restore_energy_source(uuid);
drop view api.energy_sources_trash;
drop view api.energy_sources;
drop trigger _100_source_fuel_insert on app.fuel_logs;
drop trigger _100_source_fuel_update on app.fuel_logs;
drop function app.tg_fuel_logs_source_fuel();
alter table app.fuel_logs drop constraint fuel_logs_source_fk;
alter table app.fuel_logs drop column source_id;
drop table app.energy_sources;
drop function app.tg_energy_sources_keep_fuels();
drop function app.tg_energy_sources_prepare();

commit;
