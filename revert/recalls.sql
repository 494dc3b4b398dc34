-- Revert motovault:recalls from pg

begin;

drop function app.recall_check_fail(bigint, text, text);
drop function app.recall_check_finish(bigint, text, jsonb);
drop function app.recall_check_claim(integer, text, integer);
drop trigger _400_recall_check on app.vehicles;
drop function app.tg_vehicles_recall_check();
drop function app.add_vehicle_recalls(bigint, uuid, uuid);
drop function app.recall_rows(jsonb);
drop function api.restore_vehicle_recall(uuid);
drop view api.vehicle_recalls_trash;
drop view api.vehicle_recalls;
drop trigger _500_events on app.vehicle_recalls;
drop function app.tg_vehicle_recalls_events();
drop function app.announce_vehicle_recall(app.vehicle_recalls);
drop table app.vehicle_recalls;
drop function app.tg_vehicle_recalls_guard();
drop function app.recall_setting(text, integer);
drop table app.recall_checks;
drop function app.recall_key(text);

commit;
