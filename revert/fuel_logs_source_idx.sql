-- Revert motovault:fuel_logs_source_idx from pg

set lock_timeout = '5s';

drop index concurrently if exists app.fuel_logs_source_idx;
