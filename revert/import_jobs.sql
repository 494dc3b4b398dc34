-- Revert motovault:import_jobs from pg

begin;

set local lock_timeout = '5s';

drop function app.import_apply_finish(uuid, text, text, jsonb, jsonb, integer, text);
drop function app.import_apply_rows(uuid, text, boolean, jsonb, uuid[]);
drop function app.import_apply_rows_one_by_one(uuid, text, boolean, jsonb, uuid[]);
drop function app.import_energy_source(uuid, jsonb, jsonb);
drop function app.import_apply_vehicles(uuid, text);
drop function app.import_held_batch(uuid, text);
drop function app.import_progress(uuid, text, integer, integer);
drop function app.import_claim_apply(text, integer);
drop view api.import_batch_progress;
-- act_as_member (and so SET ROLE app_user) stays granted to the owner role (roles are cluster-wide, as vin_cache keeps vin_worker's grant)

-- batches the worker was previewing or committing go back to parsed (their previous statuses)
update app.import_batches
set status = 'parsed', lease_until = null, leased_by = null
where status in ('previewing', 'committing');
alter table app.import_rows drop constraint import_rows_record_table_known;
-- expense rows: what the previous version said of them (it had no expenses to import them into)
update app.import_rows
set status = 'unsupported', fingerprint = null, record_table = null, record_id = null
where record_table = 'expenses';
alter table app.import_rows
    add constraint import_rows_record_table_known check (record_table in ('fuel_logs', 'maintenance', 'odometer_entries'));
alter table app.import_batches drop constraint import_batches_status_known;
alter table app.import_batches
    add constraint import_batches_status_known
        check (status in ('queued', 'parsing', 'parsed', 'failed', 'committed', 'undone'));
alter table app.import_batches
    drop column previewed_at,
    drop column rows_done,
    drop column rows_total,
    drop column requested_by,
    drop column skip_errors;

commit;
