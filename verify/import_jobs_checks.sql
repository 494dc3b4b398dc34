-- Verify motovault:import_jobs_checks on pg

select 1 / (count(*) = 0)::integer
from pg_constraint
where conname in ('import_batches_status_known', 'import_batches_rows_done_range',
                  'import_batches_rows_total_not_negative', 'import_rows_record_table_known')
  and not convalidated;
