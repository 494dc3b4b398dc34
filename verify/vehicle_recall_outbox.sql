-- Verify motovault:vehicle_recall_outbox on pg

select 'app.tg_vehicle_recalls_outbox()'::regprocedure;
select 1 / (select count(*) from pg_trigger where tgname = '_500_outbox' and tgrelid = 'app.vehicle_recalls'::regclass)::integer;
