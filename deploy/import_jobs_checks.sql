-- Deploy motovault:import_jobs_checks to pg
-- requires: import_jobs
--
-- Validate the checks import_jobs added NOT VALID to app.import_batches and app.import_rows (statuses
-- previewing and committing, progress, expenses as a record table).

begin;

set local lock_timeout = '5s';

alter table app.import_batches validate constraint import_batches_status_known;
alter table app.import_batches validate constraint import_batches_rows_done_range;
alter table app.import_batches validate constraint import_batches_rows_total_not_negative;
alter table app.import_rows validate constraint import_rows_record_table_known;

commit;
