-- Revert motovault:odometer_entries from pg

begin;

drop function api.restore_odometer_entry(uuid);
drop view api.odometer_entries_trash;
drop view api.odometer_entries;
drop table app.odometer_entries;
drop function app.tg_odometer_entries_prepare();

commit;
