-- Revert motovault:vehicle_recall_outbox from pg

begin;

drop trigger _500_outbox on app.vehicle_recalls;
drop function app.tg_vehicle_recalls_outbox();

commit;
