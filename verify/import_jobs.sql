-- Verify motovault:import_jobs on pg

select skip_errors, requested_by, rows_total, rows_done, previewed_at from app.import_batches where false;
select 'app.import_claim_apply(text, integer)'::regprocedure;
select 'app.import_progress(uuid, text, integer, integer)'::regprocedure;
select 'app.import_held_batch(uuid, text)'::regprocedure;
select 'app.import_apply_vehicles(uuid, text)'::regprocedure;
select 'app.import_energy_source(uuid, jsonb, jsonb)'::regprocedure;
select 'app.import_apply_rows(uuid, text, boolean, jsonb, uuid[])'::regprocedure;
select 'app.import_apply_finish(uuid, text, text, jsonb, jsonb, integer, text)'::regprocedure;
select batch_id, status, rows_total, rows_done, skip_errors, previewed_at, error from api.import_batch_progress where false;
select 'app.import_apply_rows_one_by_one(uuid, text, boolean, jsonb, uuid[])'::regprocedure;
