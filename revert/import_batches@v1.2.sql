-- Revert motovault:import_batches from pg

begin;

drop function app.import_fail(uuid, text, text);
drop function app.import_stage(uuid, text, text, jsonb, jsonb);
drop function app.import_claim(integer, text, integer);
drop function api.upload_import(bytea);
drop function api.start_import(text, text, text, text, text, jsonb, uuid);
drop view api.import_rows;
drop view api.import_vehicles;
drop function api.restore_import_batch(uuid);
drop view api.import_batches_trash;
drop view api.import_batches;
drop table app.import_rows;
drop table app.import_vehicles;
drop table app.import_batches;
drop table app.import_files;

commit;
