-- Revert motovault:maintenance from pg

begin;

drop function api.complete_maintenance(uuid, date, integer, numeric, text, text, text);
drop function api.restore_maintenance(uuid);
drop view api.maintenance_trash;
drop view api.maintenance;
drop table app.maintenance;
drop function app.tg_maintenance_next_occurrence();
drop function app.tg_maintenance_prepare();

commit;
